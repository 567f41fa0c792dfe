// Syntax highlighting of the code samples (pre[data-lang]) with CodeMirror's runmode,
// so samples and the lab's editor share one set of colours. Without JavaScript the
// samples stay plain, readable text.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    if (!window.CodeMirror || !window.CodeMirror.colorize) return;
    const samples = document.querySelectorAll('pre.code[data-lang="javascript"]');
    window.CodeMirror.colorize(samples, "javascript");
  });
})();
