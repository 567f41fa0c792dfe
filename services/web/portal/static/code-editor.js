// The lab's code editor: CodeMirror 5 over the form's textarea, with syntax highlighting
// and line numbers. The language is the one of the lab's file (data-filename, e.g. main.py),
// as CodeMirror's own mode table reads it, so the portal names no language; the indent
// unit is the starter code's. The textarea stays the form field (CodeMirror copies the
// code back on submit), so the form works the same with or without this script. Tab is
// left to the browser, so keyboard users can leave the editor; Ctrl+] and Ctrl+[ indent.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    if (!window.CodeMirror) return;
    for (const textarea of document.querySelectorAll("textarea.code-editor")) {
      const label = document.querySelector('label[for="' + CSS.escape(textarea.id) + '"]');
      const file = window.CodeMirror.findModeByFileName
        ? window.CodeMirror.findModeByFileName(textarea.dataset.filename || "")
        : null;
      const indent = /^( +)\S/m.exec(textarea.value);
      const unit = indent ? Math.min(indent[1].length, 8) : 2;
      const editor = window.CodeMirror.fromTextArea(textarea, {
        mode: file ? file.mime || file.mode : "text/plain",
        lineNumbers: true,
        indentUnit: unit,
        tabSize: unit,
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
