// Ordering questions: SortableJS moves the items with a mouse or a finger; the keyboard
// moves them with Alt+ArrowUp/Alt+ArrowDown or the Move up/Move down buttons added here.
// Each item carries its hidden `order` input, so the form always submits the order shown.
// A live region says where an item went, for screen readers.
(function () {
  "use strict";

  function textOf(item) {
    return item.querySelector(".item-text").textContent.trim();
  }

  function announce(list, item) {
    const announcer = list.parentElement.querySelector("[data-announcer]");
    if (!announcer) return;
    const items = Array.from(list.children);
    announcer.textContent = "“" + textOf(item) + "” is now at position " +
      (items.indexOf(item) + 1) + " of " + items.length + ".";
  }

  function move(list, item, direction, focusTarget) {
    const sibling = direction < 0 ? item.previousElementSibling : item.nextElementSibling;
    if (sibling) {
      if (direction < 0) list.insertBefore(item, sibling);
      else list.insertBefore(sibling, item);
    }
    announce(list, item);
    (focusTarget || item).focus();
  }

  function button(label, text, onPress) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = "move-button";
    node.setAttribute("aria-label", label);
    node.textContent = text;
    node.addEventListener("click", onPress);
    return node;
  }

  function enhance(list) {
    if (list.dataset.ready) return;
    list.dataset.ready = "true";
    for (const item of list.children) {
      const name = textOf(item);
      const controls = document.createElement("span");
      controls.className = "move-controls";
      const up = button("Move “" + name + "” up", "↑", () => move(list, item, -1, up));
      const down = button("Move “" + name + "” down", "↓", () => move(list, item, 1, down));
      controls.append(up, down);
      item.append(controls);
      item.addEventListener("keydown", (event) => {
        if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
        event.preventDefault();
        move(list, item, event.key === "ArrowUp" ? -1 : 1);
      });
    }
    if (window.Sortable) {
      window.Sortable.create(list, {
        animation: 150,
        filter: ".move-button",
        preventOnFilter: false,
        onEnd: (event) => announce(list, event.item),
      });
    }
  }

  function enhanceAll(root) {
    for (const list of root.querySelectorAll("[data-sortable]")) enhance(list);
  }

  document.addEventListener("DOMContentLoaded", () => enhanceAll(document));
  document.addEventListener("htmx:load", (event) => enhanceAll(event.detail.elt));
})();
