// On narrow screens the list of steps scrolls sideways: bring the current step into view.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const current = document.querySelector(".step-nav [aria-current=step]");
    if (current) current.scrollIntoView({ block: "nearest", inline: "center" });
  });
})();
