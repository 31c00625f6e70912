// The drawing pad: strokes drawn with a mouse, a finger or a pen, with undo and redo (a Clear too).
//
// Strokes are kept in pad units: the pad is always PAD_HEIGHT units tall and as many units wide as
// its shape on the screen gives. The pen is PEN_WIDTH units wide, so it grows and shrinks with the
// pad, and the image sent to the server (one pixel per unit) is the same drawing whatever the
// screen's size or pixel density. The canvas is always redrawn from the strokes.
(function (app) {
  "use strict";

  const PAD_HEIGHT = 280;
  const PEN_WIDTH = 18;
  const INK = "#111827";
  const HISTORY_LIMIT = 200;  // drawing states kept for undo

  function paint(context, strokes, scale) {
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = PEN_WIDTH;
    context.strokeStyle = INK;
    context.fillStyle = INK;
    for (const stroke of strokes) {
      context.beginPath();
      if (stroke.length === 1) {
        context.arc(stroke[0].x, stroke[0].y, PEN_WIDTH / 2, 0, 2 * Math.PI);
        context.fill();
        continue;
      }
      context.moveTo(stroke[0].x, stroke[0].y);
      for (const point of stroke.slice(1)) context.lineTo(point.x, point.y);
      context.stroke();
    }
  }

  // `onStrokeStart()` runs when a new stroke begins; `onChange()` after every finished change of the
  // drawing (a stroke ended, undo, redo, clear, or a narrower pad shrank it); `onResize()` when the pad
  // took another size with the drawing unchanged (in units, the strokes stay where they were).
  function createPad(canvas, { onStrokeStart, onChange, onResize }) {
    const context = canvas.getContext("2d");
    let states = [[]];        // each state: the strokes on the pad then (never changed once kept)
    let current = 0;          // the state on the pad; undo and redo move along `states`
    let stroke = null;        // the stroke being drawn, not yet a state
    let activePointer = null; // the one pointer drawing now (a second finger is ignored)
    let width = PAD_HEIGHT;   // in units
    let scale = 1;            // device pixels per unit
    let sentImage = null;     // {state, width, url}: the last image made for sending

    const strokes = () => (stroke ? states[current].concat([stroke]) : states[current]);

    function redraw() {
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.clearRect(0, 0, canvas.width, canvas.height);
      paint(context, strokes(), scale);
    }

    function keep(next) {
      states = states.slice(Math.max(0, current + 1 - HISTORY_LIMIT), current + 1).concat([next]);
      current = states.length - 1;
    }

    function fitToScreen(initial = false) {
      const box = canvas.getBoundingClientRect();
      if (!box.width || !box.height) return;
      const density = window.devicePixelRatio || 1;
      const newWidth = (box.width / box.height) * PAD_HEIGHT;
      canvas.width = Math.round(box.width * density);
      canvas.height = Math.round(box.height * density);
      scale = canvas.height / PAD_HEIGHT;
      width = newWidth;
      const shrunk = shrinkToFit();
      redraw();
      if (initial) return;
      if (shrunk) onChange();
      else onResize();
    }

    // A pad that became narrower (a phone turned upright) keeps the whole drawing: every state is
    // shrunk alike, so undo and redo still move between the same drawings.
    function shrinkToFit() {
      const points = states.flat(2).concat(stroke || []);
      const right = points.reduce((most, point) => Math.max(most, point.x), 0);
      if (right + PEN_WIDTH / 2 <= width) return false;
      const factor = (width - PEN_WIDTH) / right;  // the pen's width clear of the edge
      const shrink = (line) => line.map((point) => ({ x: point.x * factor, y: point.y * factor }));
      states = states.map((state) => state.map(shrink));
      if (stroke) stroke = shrink(stroke);
      return true;
    }

    function pointFrom(event) {
      const box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) / box.height) * PAD_HEIGHT,
        y: ((event.clientY - box.top) / box.height) * PAD_HEIGHT,
      };
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
      event.preventDefault();
      activePointer = event.pointerId;
      canvas.setPointerCapture(event.pointerId);
      // The pad takes the focus (away from a button pressed before), so Esc and Enter act on it.
      canvas.focus({ preventScroll: true });
      stroke = [pointFrom(event)];
      onStrokeStart();
      redraw();
    });

    canvas.addEventListener("pointermove", (event) => {
      if (event.pointerId !== activePointer) return;
      // Fast movements deliver several positions per event: use them all for smooth curves.
      const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const move of moves.length ? moves : [event]) stroke.push(pointFrom(move));
      redraw();
    });

    function endStroke(event) {
      if (event.pointerId !== activePointer) return;
      activePointer = null;
      keep(states[current].concat([stroke]));
      stroke = null;
      redraw();
      onChange();
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

    // A stroke being drawn when a button is used is dropped: the button acts on the kept drawing.
    function dropStroke() {
      stroke = null;
      activePointer = null;
    }

    function change(move) {
      dropStroke();
      if (!move()) return false;
      redraw();
      onChange();
      return true;
    }

    new ResizeObserver(() => fitToScreen()).observe(canvas);
    // Redraw crisply when the window moves to a screen of another density (or the page is zoomed).
    (function watchDensity() {
      window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`).addEventListener(
        "change",
        () => {
          fitToScreen();
          watchDensity();
        },
        { once: true },
      );
    })();
    fitToScreen(true);

    return {
      // The drawing on the pad: the same object whenever the same drawing is back (by undo or redo).
      drawing: () => states[current],
      isEmpty: () => states[current].length === 0,
      canUndo: () => current > 0,
      canRedo: () => current < states.length - 1,
      undo: () => change(() => current > 0 && (current -= 1, true)),
      redo: () => change(() => current < states.length - 1 && (current += 1, true)),
      // Clearing is a change like any other: Undo brings the drawing back.
      clear: () => change(() => states[current].length > 0 && (keep([]), true)),
      // The size of the image `image()` makes, in pixels (= units).
      size: () => ({ width: Math.round(width), height: PAD_HEIGHT }),
      // The kept drawing as a PNG data URL, one pixel per unit, transparent with dark ink.
      image() {
        const size = this.size();
        if (sentImage && sentImage.state === states[current] && sentImage.width === size.width) {
          return sentImage.url;
        }
        const sheet = document.createElement("canvas");
        sheet.width = size.width;
        sheet.height = size.height;
        paint(sheet.getContext("2d"), states[current], 1);
        sentImage = { state: states[current], width: size.width, url: sheet.toDataURL("image/png") };
        return sentImage.url;
      },
    };
  }

  app.createPad = createPad;
  app.PAD_HEIGHT = PAD_HEIGHT;
})((window.DigitReader = window.DigitReader || {}));
