// The drawing page: draw strokes on the canvas (mouse, touch, pen), then ask the API what digit it is.
//
// The drawing is kept as a list of strokes in canvas units (280 × 280, whatever the CSS size or the
// screen's pixel density), and the canvas is always redrawn from that list: so what a stroke looks
// like never depends on how it arrived, and Undo or a change of pixel density just redraws.
(function () {
  "use strict";

  const SIZE = 280;          // canvas units, the size of the canvas in CSS pixels
  const PEN_WIDTH = 18;      // in canvas units: like a felt pen on a 280 px pad
  const INK = "#111827";
  const REQUEST_TIMEOUT_MS = 20000;
  const ERROR_TEXT = "Error with prediction. Please try again.";

  const canvas = document.getElementById("pad");
  const context = canvas.getContext("2d");
  const placeholder = document.getElementById("pad-placeholder");
  const predictButton = document.getElementById("predict");
  const predictLabel = predictButton.querySelector(".button__label");
  const undoButton = document.getElementById("undo");
  const clearButton = document.getElementById("clear");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const predictionText = document.querySelector("#prediction span");
  const probabilityText = document.querySelector("#probability span");
  const modelInput = document.getElementById("model-input");
  const bars = Array.from(document.querySelectorAll("#bars .bar"));
  const feedback = document.getElementById("feedback");
  const feedbackYes = document.getElementById("feedback-yes");
  const feedbackDigits = Array.from(feedback.querySelectorAll(".feedback__digit"));
  const feedbackStatus = document.getElementById("feedback-status");

  const strokes = [];        // each stroke: an array of {x, y} in canvas units
  let activePointer = null;  // the one pointer drawing now (a second finger is ignored)
  let busy = false;          // a prediction request is in flight
  let clears = 0;            // how many times the pad was cleared: an answer for a cleared drawing is dropped
  let scale = 1;             // device pixels per canvas unit
  let shown = null;          // the prediction on screen: {id, prediction, feedback_token}
  let feedbackQueue = Promise.resolve();  // answers are sent one after another, so the last one stays

  // Canvas size and pixel density -------------------------------------------------------------

  function fitToScreen() {
    scale = window.devicePixelRatio || 1;
    canvas.width = Math.round(SIZE * scale);
    canvas.height = Math.round(SIZE * scale);
    redraw();
    // Redraw crisply when the window moves to a screen of another density (or the page is zoomed).
    window.matchMedia(`(resolution: ${scale}dppx)`).addEventListener("change", fitToScreen, { once: true });
  }

  // Drawing -------------------------------------------------------------------------------------

  function setPen() {
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = PEN_WIDTH;
    context.strokeStyle = INK;
    context.fillStyle = INK;
  }

  function dot(point) {
    context.beginPath();
    context.arc(point.x, point.y, PEN_WIDTH / 2, 0, 2 * Math.PI);
    context.fill();
  }

  function drawStroke(stroke) {
    if (stroke.length === 1) {
      dot(stroke[0]);
      return;
    }
    context.beginPath();
    context.moveTo(stroke[0].x, stroke[0].y);
    for (const point of stroke.slice(1)) context.lineTo(point.x, point.y);
    context.stroke();
  }

  function redraw() {
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    setPen();
    strokes.forEach(drawStroke);
    placeholder.hidden = strokes.length > 0;
  }

  function pointFrom(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * SIZE,
      y: ((event.clientY - box.top) / box.height) * SIZE,
    };
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    activePointer = event.pointerId;
    canvas.setPointerCapture(event.pointerId);
    strokes.push([pointFrom(event)]);
    redraw();
  });

  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== activePointer) return;
    const stroke = strokes[strokes.length - 1];
    // Fast movements deliver several positions per event: use them all for smooth curves.
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const move of moves.length ? moves : [event]) stroke.push(pointFrom(move));
    redraw();
  });

  function endStroke(event) {
    if (event.pointerId !== activePointer) return;
    activePointer = null;
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  // A finger resting on the pad is drawing, not asking for the context menu.
  canvas.addEventListener("contextmenu", (event) => event.preventDefault());
  // A finger on the pad is drawing, not a gesture: without this, Chromium reads a quick stroke as a
  // fling and swallows the next tap on a button (the ✓ right after Predict, say).
  for (const type of ["touchstart", "touchmove"]) {
    canvas.addEventListener(type, (event) => event.preventDefault(), { passive: false });
  }

  // Buttons -------------------------------------------------------------------------------------

  function showStatus(text, kind) {
    status.textContent = text;
    status.dataset.kind = kind || "";
  }

  function hideResult() {
    result.hidden = true;
    shown = null;
  }

  function clear() {
    clears += 1;
    strokes.length = 0;
    activePointer = null;
    redraw();
    hideResult();
    showStatus("Your prediction will appear here.");
  }

  function undo() {
    strokes.pop();
    redraw();
  }

  function showPrediction(body) {
    predictionText.textContent = String(body.prediction);
    probabilityText.textContent = `${(body.probability * 100).toFixed(2)}%`;
    modelInput.src = body.input_image;
    bars.forEach((bar, digit) => {
      const percent = body.probabilities[digit] * 100;
      bar.querySelector(".bar__fill").style.width = `${percent}%`;
      bar.querySelector(".bar__value").textContent = `${percent.toFixed(1)}%`;
      bar.classList.toggle("bar--top", digit === body.prediction);
    });
    result.hidden = false;
    showStatus(`The model reads a ${body.prediction}.`, "success");
    shown = body;
    resetFeedback(body.prediction);
  }

  // Feedback: "Right?" ✓, or "No, it was …" 0-9 -----------------------------------------------------

  function resetFeedback(predicted) {
    feedbackYes.setAttribute("aria-label", `Yes, it is a ${predicted}`);
    feedbackDigits.forEach((button) => {
      button.disabled = Number(button.dataset.label) === predicted;  // "No, it was" the digit read makes no sense
    });
    markAnswer(null);
    feedbackStatus.textContent = "";
    feedbackStatus.dataset.kind = "";
  }

  function markAnswer(label) {
    const confirmed = shown !== null && label === shown.prediction;
    feedbackYes.setAttribute("aria-pressed", String(confirmed));
    feedbackDigits.forEach((button) => {
      button.setAttribute("aria-pressed", String(!confirmed && Number(button.dataset.label) === label));
    });
  }

  async function postFeedback(target, label) {
    const url = feedback.dataset.urlTemplate.replace("/0/", `/${target.id}/`);
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": canvas.dataset.csrfToken,
      },
      body: JSON.stringify({ label: label, feedback_token: target.feedback_token }),
    });
    if (!response.ok) throw new Error(`The server answered ${response.status}`);
    return response.json();
  }

  function giveFeedback(label) {
    const target = shown;
    if (target === null) return;
    markAnswer(label);
    feedbackStatus.textContent = "Saving…";
    feedbackStatus.dataset.kind = "";
    feedbackQueue = feedbackQueue.then(() => postFeedback(target, label)).then(
      (body) => {
        if (shown !== target) return;
        feedbackStatus.textContent = body.correct ? "Thanks!" : `Thanks! Noted: it was a ${body.true_label}.`;
        feedbackStatus.dataset.kind = "success";
      },
      (error) => {
        console.error("Feedback failed:", error);
        if (shown !== target) return;
        markAnswer(null);
        feedbackStatus.textContent = "Your answer could not be saved. Please try again.";
        feedbackStatus.dataset.kind = "error";
      },
    );
  }

  feedbackYes.addEventListener("click", () => shown && giveFeedback(shown.prediction));
  feedbackDigits.forEach((button) => {
    button.addEventListener("click", () => giveFeedback(Number(button.dataset.label)));
  });

  function setBusy(isBusy) {
    busy = isBusy;
    // aria-disabled rather than disabled: the button keeps keyboard focus while it waits.
    predictButton.setAttribute("aria-disabled", String(isBusy));
    predictButton.setAttribute("aria-busy", String(isBusy));
    predictLabel.textContent = isBusy ? "Predicting…" : "Predict";
  }

  async function predict() {
    if (busy) return;
    if (strokes.length === 0) {
      hideResult();
      showStatus("Draw a digit first", "hint");
      return;
    }
    setBusy(true);
    showStatus("Reading your digit…");
    const clearsBefore = clears;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(canvas.dataset.predictUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": canvas.dataset.csrfToken,
        },
        body: JSON.stringify({ image: canvas.toDataURL("image/png"), source: "web" }),
        signal: abort.signal,
      });
      if (!response.ok) throw new Error(`The server answered ${response.status}`);
      const body = await response.json();
      if (clears === clearsBefore) showPrediction(body);
    } catch (error) {
      console.error("Prediction failed:", error);
      if (clears !== clearsBefore) return;
      hideResult();
      showStatus(ERROR_TEXT, "error");
    } finally {
      clearTimeout(timer);
      setBusy(false);
    }
  }

  predictButton.addEventListener("click", predict);
  undoButton.addEventListener("click", undo);
  clearButton.addEventListener("click", clear);

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    if (event.key === "Escape") {
      clear();
    } else if (event.key === "Enter" && !event.target.closest("button, a, input, textarea, select")) {
      // On a focused button Enter already clicks it.
      event.preventDefault();
      predict();
    }
  });

  fitToScreen();
})();
