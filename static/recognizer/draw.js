// The drawing page: the pad (pad.js), a live reading as strokes end (POST /api/read, which stores
// nothing), Predict (POST /api/predict, which keeps the drawing), the result (result.js) and the
// feedback on a kept drawing (feedback.js).
//
// The result follows the drawing: every change of the drawing gets a new version and hides the
// answer on screen; an answer is shown only if it comes back for the version still on the pad.
// Answers are remembered by drawing, so a drawing kept once is never sent again (Predict on an
// unchanged drawing, or Undo back to it, shows the kept answer) and a drawing read once is not re-read.
(function (app) {
  "use strict";

  const LIVE_DELAY_MS = 200;         // a pause after a stroke before reading the drawing
  const REQUEST_TIMEOUT_MS = 20000;
  const REMEMBERED = 50;             // answers kept, by drawing
  const MAX_RETRY_SECONDS = 30;      // a throttled live reading is tried again after Retry-After, capped
  const IDLE_TEXT = "Your prediction will appear here.";
  const ERROR_TEXT = "Error with prediction. Please try again.";
  const { reading, withArticle } = app.answers;

  const canvas = document.getElementById("pad");
  const placeholder = document.getElementById("pad-placeholder");
  const predictButton = document.getElementById("predict");
  const predictText = predictButton.querySelector(".button__text");
  const undoButton = document.getElementById("undo");
  const redoButton = document.getElementById("redo");
  const clearButton = document.getElementById("clear");
  const status = document.getElementById("status");
  const csrfToken = canvas.dataset.csrfToken;
  let liveUrl = canvas.dataset.readUrl || null;  // null: this site does not read live

  const result = app.createResult();
  const feedback = app.createFeedback({ csrfToken });

  let version = 0;         // the drawing's version: +1 on every change
  let busy = false;        // a Predict request is in flight
  let liveTimer = null;
  let shown = null;        // {version, kind, answer, saved}: the answer on screen
  const savedAnswers = new Map();  // drawing → {body, answer, chosen}: drawings kept by /api/predict
  const liveAnswers = new Map();   // drawing → answer: drawings read by /api/read

  function remember(map, key, value) {
    map.delete(key);
    map.set(key, value);
    if (map.size > REMEMBERED) map.delete(map.keys().next().value);
  }

  function showStatus(text, kind) {
    status.textContent = text;
    status.dataset.kind = kind || "";
  }

  function hideAnswer() {
    shown = null;
    result.hide();
    feedback.ask(null);
  }

  function show(answer, kind, saved) {
    shown = { version, kind, answer, saved };
    result.show(answer, kind, pad.size());
    feedback.ask(saved || null, { live: kind === "live" });
    showStatus(
      answer.verdict === "not_a_digit"
        ? `That doesn't look like a digit. Best guess: ${withArticle(answer.prediction)}.`
        : `The model reads ${withArticle(answer.number)}.`,
      "success",
    );
  }

  function updateControls() {
    placeholder.hidden = !pad.isEmpty();
    undoButton.setAttribute("aria-disabled", String(!pad.canUndo()));
    redoButton.setAttribute("aria-disabled", String(!pad.canRedo()));
  }

  // The drawing is changing (a stroke began): whatever is on screen is about an earlier drawing.
  function drawingChanging() {
    version += 1;
    clearTimeout(liveTimer);
    hideAnswer();
  }

  // The drawing changed: show what is known about it, or read it once the hand rests.
  function drawingChanged() {
    drawingChanging();
    updateControls();
    if (pad.isEmpty()) {
      showStatus(IDLE_TEXT);
      return;
    }
    const drawing = pad.drawing();
    if (savedAnswers.has(drawing)) {
      show(savedAnswers.get(drawing).answer, "saved", savedAnswers.get(drawing));
    } else if (liveAnswers.has(drawing)) {
      show(liveAnswers.get(drawing), "live");
    } else if (liveUrl) {
      showStatus("Reading…");
      liveTimer = setTimeout(readLive, LIVE_DELAY_MS);
    } else {
      showStatus("Press Predict to read your drawing.");
    }
  }

  async function post(url, image) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      return await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify({ image, source: "web" }),
        signal: abort.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  // Why the server refused to read a drawing (422: too many marks, say), or null for other failures.
  async function refusalOf(response) {
    if (response.status !== 422) return null;
    const body = await response.json().catch(() => ({}));
    return typeof body.detail === "string" ? body.detail : null;
  }

  // Live reading -----------------------------------------------------------------------------------

  let lastLive = null;  // {answer}: the last live answer shown, kept on screen (as stale) when throttled

  async function readLive() {
    const asked = version;
    const drawing = pad.drawing();
    let response;
    try {
      response = await post(liveUrl, pad.image());
    } catch (error) {
      if (asked === version) showStatus("Press Predict to read your drawing.");
      return;
    }
    if (response.status === 404 || response.status === 405) {
      liveUrl = null;  // no live reading here: Predict still reads
      if (asked === version) showStatus("Press Predict to read your drawing.");
      return;
    }
    if (response.status === 429) {
      // Quietly: the last answer stays, marked as out of date, and the drawing is read again later.
      if (asked !== version) return;
      if (lastLive) {
        shown = { version, kind: "stale", answer: lastLive };
        result.show(lastLive, "live", pad.size());
        result.markStale();
      }
      showStatus("Still reading…");
      const seconds = Math.min(Number(response.headers.get("Retry-After")) || 2, MAX_RETRY_SECONDS);
      liveTimer = setTimeout(() => asked === version && readLive(), seconds * 1000);
      return;
    }
    if (!response.ok) {
      // A drawing the server cannot read (too many marks, say) is told why; anything else stays quiet.
      const reason = await refusalOf(response);
      if (asked !== version) return;
      showStatus(reason || "Press Predict to read your drawing.", reason ? "hint" : "");
      return;
    }
    const answer = reading(await response.json());
    remember(liveAnswers, drawing, answer);
    // Too late (the drawing changed) or already kept: the answer on screen stands.
    if (asked !== version || (shown && shown.kind === "saved")) return;
    lastLive = answer;
    show(answer, "live");
  }

  // Predict: keep the drawing, once --------------------------------------------------------------

  function setBusy(isBusy) {
    busy = isBusy;
    // aria-disabled rather than disabled: the button keeps keyboard focus while it waits.
    predictButton.setAttribute("aria-disabled", String(isBusy));
    predictButton.setAttribute("aria-busy", String(isBusy));
    predictText.textContent = isBusy ? "Predicting…" : "Predict";
  }

  async function predict() {
    if (busy) return;
    if (pad.isEmpty()) {
      hideAnswer();
      showStatus("Draw a digit first", "hint");
      return;
    }
    clearTimeout(liveTimer);
    const drawing = pad.drawing();
    if (savedAnswers.has(drawing)) {
      const saved = savedAnswers.get(drawing);
      show(saved.answer, "saved", saved);
      return;
    }
    const asked = version;
    setBusy(true);
    if (!shown) showStatus("Reading your drawing…");
    try {
      const response = await post(canvas.dataset.predictUrl, pad.image());
      if (!response.ok) {
        const reason = await refusalOf(response);
        throw Object.assign(new Error(`The server answered ${response.status}`), { reason });
      }
      const body = await response.json();
      const saved = { body, answer: reading(body), chosen: null };
      remember(savedAnswers, drawing, saved);
      if (asked === version) show(saved.answer, "saved", saved);
    } catch (error) {
      console.error("Prediction failed:", error);
      if (asked !== version) return;
      hideAnswer();
      // A drawing the server will not read says why ("try again" would not help); else the seed's text.
      showStatus(error.reason || ERROR_TEXT, "error");
    } finally {
      setBusy(false);
    }
  }

  // Controls and keys ------------------------------------------------------------------------------

  function clear() {
    if (!pad.clear()) drawingChanged();  // nothing to clear: still reset what is shown
  }

  const pad = app.createPad(canvas, {
    onStrokeStart: drawingChanging,
    onChange: drawingChanged,
    onResize: () => result.fit(pad.size()),  // the answer still holds: its boxes follow the pad
  });

  predictButton.addEventListener("click", predict);
  undoButton.addEventListener("click", () => pad.undo());
  redoButton.addEventListener("click", () => pad.redo());
  clearButton.addEventListener("click", clear);

  const CONTROLS = "button, a, input, textarea, select, summary, [contenteditable]";
  const TYPING = "input, textarea, select, [contenteditable]";

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.isComposing) return;
    const onControl = event.target instanceof Element && event.target.closest(CONTROLS);
    const typing = event.target instanceof Element && event.target.closest(TYPING);
    if (event.ctrlKey || event.metaKey) {
      const key = event.key.toLowerCase();
      if (typing || (key !== "z" && key !== "y")) return;  // a text field keeps its own undo
      event.preventDefault();
      if (key === "y" || event.shiftKey) pad.redo();
      else pad.undo();
      return;
    }
    if (onControl) return;  // Esc or Enter on a control is that control's
    if (event.key === "Escape") {
      clear();
    } else if (event.key === "Enter") {
      event.preventDefault();
      predict();
    }
  });

  updateControls();
})((window.DigitReader = window.DigitReader || {}));
