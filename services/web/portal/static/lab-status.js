// Follows a submission's grading on the lab page and redraws the status panel. The server
// pushes each change of status on the submission's event stream (portal/labs/push.py), and
// the page then fetches the status document once: the verdict shows the moment it is
// recorded. When the stream fails (refused, cut, ended) the page polls the status endpoint
// about once a second instead, from at once: the status comes from the database, so a
// result recorded while the stream was down is shown all the same.
// panel.dataset.following says which ("push" or "polling"), for the browser tests.
// No inline script and no innerHTML: every text from the server goes in as textContent,
// so the page stays safe under a strict Content-Security-Policy. The one exception is the
// HTML the server sanitised for this purpose (check titles and messages, A.D.A.'s feedback:
// portal/labs/check_display.py) or drew from the page's own template (what a verdict
// changes around the panel: templates/labs/_progress.html), parsed inert by DOMParser and
// moved in as nodes.
(function () {
  "use strict";

  const POLL_MS = 1000;
  const MAX_BACKOFF_MS = 10000;
  const GIVE_UP_MS = 15 * 60 * 1000;

  const panel = document.querySelector("[data-status-url]");
  if (!panel || panel.dataset.final === "true") {
    return;
  }
  const url = panel.dataset.statusUrl;
  const body = panel.querySelector("[data-role=body]");
  const startedAt = Date.now();

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

  // Nodes of HTML the server already sanitised (fields named *_html); DOMParser runs no
  // script and loads nothing, and the nodes are moved in, never assigned as a string.
  function sanitisedNodes(html) {
    const parsed = new DOMParser().parseFromString(String(html || ""), "text/html");
    return Array.from(parsed.body.childNodes);
  }

  function renderChecks(checks) {
    const list = element("ul", "checks");
    for (const check of checks) {
      // The same words and classes as templates/labs/_result_parts.html's checks_list.
      const outcome = check.passed ? "passed" : check.inconclusive ? "inconclusive" : "failed";
      const item = element("li", outcome);
      const title = element("strong");
      title.append(...sanitisedNodes(check.title_html));
      item.append(title);
      item.append(": " + (outcome === "inconclusive" ? "not judged (too noisy to measure)" : outcome) + " ");
      const message = element("span", "check-message");
      message.append(...sanitisedNodes(check.message_html));
      item.append(message);
      list.append(item);
    }
    return list;
  }

  function render(doc) {
    const parts = [element("p", "status status-" + doc.status, doc.status_label)];
    if (doc.notice) parts.push(element("p", "notice", doc.notice));
    if (doc.final) {
      parts.push(element("p", "verdict verdict-" + doc.verdict, doc.verdict_text));
      if (doc.feedback) {
        const feedback = element("div", "feedback");
        feedback.append(element("h3", null, "A.D.A. says"), ...sanitisedNodes(doc.feedback_html));
        parts.push(feedback);
      }
      if (doc.chart) {
        const figure = element("figure", "chart");
        const picture = element("picture");
        const phone = element("source");  // a phone gets the chart drawn at its width
        phone.media = "(max-width: 40rem)";
        phone.srcset = doc.chart.narrow_url;
        const image = element("img");
        image.src = doc.chart.url;
        image.alt = doc.chart.alt;
        picture.append(phone, image);
        figure.append(picture);
        parts.push(figure);
      }
      for (const achievement of doc.unlocked || []) {
        parts.push(element("p", "achievement", "Achievement unlocked: " + achievement.title));
      }
      if (doc.checks.length) {
        parts.push(element("h3", null, "Checks"), renderChecks(doc.checks));
      }
      if (doc.counts) {
        parts.push(element("h3", null, "Output"), outputElement(doc.output));
        if (doc.output.truncated) {
          parts.push(element("p", "note",
            "Output shortened: " + doc.output.bytes_total + " bytes in all."));
        }
      }
    }
    body.replaceChildren(...parts);
    updateHistoryRow(doc);
  }

  function updateHistoryRow(doc) {
    const row = document.querySelector('tr[data-submission-id="' + CSS.escape(doc.id) + '"]');
    if (!row) return;
    row.querySelector("[data-field=status]").textContent = doc.status;
    if (doc.final) {
      // The same words as the panel above (portal/labs/status.py's verdict_text).
      row.querySelector("[data-field=result]").textContent = doc.verdict_text;
    }
  }

  // The parts of the page a verdict changes (the "passed" mark, "Back to step N to complete
  // it", the course bar), as a reload would draw them: each replaces the element of its id.
  function swapProgress(html) {
    for (const node of sanitisedNodes(html)) {
      const current = node.id ? document.getElementById(node.id) : null;
      if (current) current.replaceWith(node);
    }
  }

  // The grade just arrived: update the EXP counter and toast what it unlocked.
  function celebrate(doc) {
    const counter = document.getElementById("exp-value");
    if (counter && typeof doc.exp_total === "number") counter.textContent = doc.exp_total;
    if (window.showAchievementToast) {
      for (const achievement of doc.unlocked || []) {
        window.showAchievementToast(achievement.icon, achievement.title);
      }
    }
  }

  // One read of the status document, drawn: "waiting", "final" or "stop" (gone for us);
  // throws when the server could not answer.
  async function refresh() {
    const response = await fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 404) {
      body.append(element("p", "notice", "Reload the page to see this submission."));
      return "stop";
    }
    if (!response.ok) throw new Error("status " + response.status);
    const doc = await response.json();
    if (panel.dataset.final === "true") return "final";  // drawn and celebrated already
    render(doc);
    if (!doc.final) return "waiting";
    panel.dataset.final = "true";
    if (doc.progress_html) swapProgress(doc.progress_html);
    celebrate(doc);
    return "final";
  }

  async function poll(delay) {
    let next = delay;
    try {
      if ((await refresh()) !== "waiting") return;
      next = POLL_MS;
    } catch (error) {
      next = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
    if (Date.now() - startedAt < GIVE_UP_MS) {
      window.setTimeout(() => poll(next), next);
    }
  }

  function startPolling(firstDelay) {
    panel.dataset.following = "polling";
    window.setTimeout(() => poll(POLL_MS), firstDelay);
  }

  function follow(eventsUrl) {
    const source = new EventSource(eventsUrl);
    let shown = panel.dataset.status;
    let open = true;
    panel.dataset.following = "push";
    function fallBack() {
      if (!open) return;
      open = false;
      source.close();
      if (panel.dataset.final !== "true") startPolling(0);
    }
    source.addEventListener("status", async (event) => {
      let state;
      try {
        state = JSON.parse(event.data);
      } catch (error) {
        fallBack();
        return;
      }
      if (state.final) {
        open = false;  // the stream ends here: its closing is no failure
        source.close();
      } else if (state.status === shown) {
        return;
      }
      shown = state.status;
      try {
        const outcome = await refresh();
        if (state.final && outcome === "waiting") startPolling(0);
      } catch (error) {
        if (state.final) startPolling(0);
        else fallBack();
      }
    });
    source.addEventListener("gone", fallBack);
    source.addEventListener("error", fallBack);
  }

  if (panel.dataset.eventsUrl && typeof window.EventSource === "function") {
    follow(panel.dataset.eventsUrl);
  } else {
    startPolling(POLL_MS);
  }
})();
