// "Run before you submit" on the lab page: the Run button sends the editor's code to the
// run endpoint (with the form's CSRF token), then polls the run's status about once a second
// until it is finished, and draws the output and the measurements in the run panel.
// Without this script the button still works: the form posts to the same endpoint and the
// page comes back with the run. No inline script and no innerHTML: every text from the
// server goes in as textContent.
(function () {
  "use strict";

  const POLL_MS = 1000;
  const MAX_BACKOFF_MS = 10000;
  const GIVE_UP_MS = 15 * 60 * 1000;

  const panel = document.getElementById("run");
  const button = document.querySelector("[data-run-button]");
  if (!panel) return;
  const body = panel.querySelector("[data-role=run-body]");
  let generation = 0;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // The same as templates/labs/_result_parts.html's output_block: no empty box.
  function outputElement(output) {
    return output.text
      ? element("pre", "output", output.text)
      : element("p", "note output-empty", "Your program printed nothing.");
  }

  // The same structure as templates/labs/_run.html.
  function render(doc) {
    const parts = [element("p", "status status-" + doc.status, doc.status_label)];
    if (doc.final) {
      const outcome = element("p", "run-outcome run-outcome-" + doc.outcome);
      outcome.append(element("strong", null, doc.outcome_label), ": " + doc.message);
      parts.push(outcome);
      if (doc.measurements && doc.measurements.length) {
        const list = element("dl", "run-measurements");
        for (const measurement of doc.measurements) {
          const row = element("div");
          row.append(element("dt", null, measurement.label), element("dd", null, measurement.text));
          list.append(row);
        }
        parts.push(element("h3", null, "Measurements"), list);
      }
      parts.push(element("h3", null, "Output"), outputElement(doc.output));
      if (doc.output.truncated) {
        parts.push(element("p", "note", "Output shortened: " + doc.output.bytes_total + " bytes in all."));
      }
    }
    body.replaceChildren(...parts);
  }

  function showError(text) {
    body.replaceChildren(element("p", "run-error", text));
  }

  function setBusy(busy) {
    if (button) button.disabled = busy;
  }

  async function poll(url, delay, startedAt, mine) {
    if (mine !== generation) return;
    let next = delay;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (mine !== generation) return;
      if (response.status === 401 || response.status === 404) {
        showError("Reload the page to see this run.");
        setBusy(false);
        return;
      }
      if (response.ok) {
        const doc = await response.json();
        if (mine !== generation) return;
        render(doc);
        if (doc.final) {
          panel.dataset.final = "true";
          setBusy(false);
          return;
        }
        next = POLL_MS;
      } else {
        next = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
    } catch (error) {
      next = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
    if (Date.now() - startedAt < GIVE_UP_MS) {
      window.setTimeout(() => poll(url, next, startedAt, mine), next);
    } else {
      setBusy(false);
    }
  }

  function follow(url) {
    generation += 1;
    panel.dataset.runStatusUrl = url;
    panel.dataset.final = "false";
    const mine = generation;
    window.setTimeout(() => poll(url, POLL_MS, Date.now(), mine), POLL_MS);
  }

  async function startRun(event) {
    const form = button.form;
    event.preventDefault();
    // CodeMirror keeps the code in its own editor until the form is submitted: copy it back.
    const editor = form.querySelector(".CodeMirror");
    if (editor && editor.CodeMirror) editor.CodeMirror.save();
    setBusy(true);
    panel.hidden = false;
    body.replaceChildren(element("p", "status status-queued", "Sending your code…"));
    let response;
    try {
      response = await fetch(button.getAttribute("formaction"), {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (error) {
      showError("Your code could not be sent: check your connection and run it again.");
      setBusy(false);
      return;
    }
    let doc = null;
    try {
      doc = await response.json();
    } catch (error) {
      doc = null;
    }
    if (response.status === 202 && doc) {
      // A reload shows this run again (the page renders ?run=<id> itself).
      const here = new URL(window.location.href);
      here.searchParams.set("run", doc.id);
      here.hash = "run";
      window.history.replaceState(null, "", here);
      render(doc);
      follow(doc.status_url);
      return;
    }
    showError(doc && doc.error ? doc.error : "The run could not start (" + response.status + "): reload the page.");
    setBusy(false);
  }

  if (button) button.addEventListener("click", startRun);
  if (panel.dataset.runStatusUrl && panel.dataset.final === "false") {
    setBusy(true);
    follow(panel.dataset.runStatusUrl);
  }
})();
