// The lab's code editor: CodeMirror 5 over the form's textarea, with JavaScript syntax
// highlighting and line numbers. The textarea stays the form field (CodeMirror copies
// the code back on submit), so the form works the same with or without this script.
// Tab is left to the browser, so keyboard users can leave the editor; Ctrl+] and Ctrl+[
// indent.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    if (!window.CodeMirror) return;
    for (const textarea of document.querySelectorAll("textarea.code-editor")) {
      const label = document.querySelector('label[for="' + CSS.escape(textarea.id) + '"]');
      const editor = window.CodeMirror.fromTextArea(textarea, {
        mode: "javascript",
        lineNumbers: true,
        indentUnit: 2,
        tabSize: 2,
        lineWrapping: true,
        viewportMargin: Infinity,
        inputStyle: "contenteditable",
        screenReaderLabel: label ? label.textContent.trim() : "Code editor",
        extraKeys: { Tab: false, "Shift-Tab": false },
      });
      textarea.form.addEventListener("submit", () => editor.save());
    }
  });
})();
