// Achievement toasts: each one shows for a while, then fades out and is removed.
// Toasts arrive with the page (after a form post) or later (htmx swaps them into
// #toasts, lab-status.js adds them when a lab is graded): a MutationObserver sees both.
(function () {
  "use strict";

  const SHOW_MS = 8000;
  const region = document.getElementById("toasts");
  if (!region) return;

  function schedule(toast) {
    if (toast.dataset.scheduled) return;
    toast.dataset.scheduled = "true";
    window.setTimeout(() => {
      toast.classList.add("toast-leaving");
      window.setTimeout(() => toast.remove(), 600);
    }, SHOW_MS);
  }

  function scheduleAll() {
    for (const toast of region.querySelectorAll("[data-toast]")) schedule(toast);
  }

  new MutationObserver(scheduleAll).observe(region, { childList: true, subtree: true });
  scheduleAll();

  // For other scripts: show a toast built from plain text (never HTML).
  window.showAchievementToast = function (icon, title) {
    const toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "status");
    toast.dataset.toast = "";
    // The icon: a symbol of the vendored sprite by name (never markup).
    const svg = "http://www.w3.org/2000/svg";
    const iconNode = document.createElementNS(svg, "svg");
    iconNode.setAttribute("class", "icon toast-icon");
    iconNode.setAttribute("aria-hidden", "true");
    const use = document.createElementNS(svg, "use");
    use.setAttribute("href", region.dataset.icons + "#" + encodeURIComponent(icon));
    iconNode.append(use);
    const text = document.createElement("div");
    const heading = document.createElement("p");
    heading.className = "toast-title";
    heading.textContent = "Achievement unlocked";
    const name = document.createElement("p");
    name.className = "toast-name";
    name.textContent = title;
    text.append(heading, name);
    toast.append(iconNode, text);
    region.append(toast);
  };
})();
