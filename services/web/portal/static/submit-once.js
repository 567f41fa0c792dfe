// Disables a form's submit button once it is sent, so a double click on "Submit" sends
// one submission, not two. Forms opt in with the data-submit-once attribute.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) {
        button.disabled = true;
      }
    });
  }
})();
