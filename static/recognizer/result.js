// The result card: the reading (a digit, a number, or "not a digit"), its probabilities, the 28×28
// inputs the model read, and each mark's box drawn over the drawing.
(function (app) {
  "use strict";

  const { percent, topTwo, withArticle, UNSURE_BELOW } = app.answers;
  const SVG = "http://www.w3.org/2000/svg";
  const BOX_MARGIN = 5;  // pad units between a mark's ink and its box
  const KINDS = { live: "Live", saved: "Saved", stale: "Out of date" };
  const ORDINALS = ["1st", "2nd", "3rd"];

  const byId = (id) => document.getElementById(id);
  const ordinal = (n) => ORDINALS[n - 1] || `${n}th`;

  function svg(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    return element;
  }

  function createResult() {
    const body = byId("result");
    const badge = byId("answer-kind");
    const refusal = byId("not-a-digit");
    const predictionLabel = document.querySelector("#prediction .answer__label");
    const predictionValue = document.querySelector("#prediction .answer__value");
    const prediction = byId("prediction");
    const probability = document.querySelector("#probability span");
    const alternative = byId("alternative");
    const figure = byId("model-input-figure");
    const modelInput = byId("model-input");
    const digitList = byId("digits");
    const barsTitle = byId("bars-title");
    const bars = Array.from(document.querySelectorAll("#bars .bar"));
    const boxes = byId("boxes");

    function setKind(kind) {
      badge.hidden = !kind;
      badge.textContent = KINDS[kind] || "";
      badge.dataset.kind = kind || "";
      body.dataset.kind = kind || "";
    }

    // The boxes' coordinates are the sent image's pixels, which are pad units: the SVG over the pad
    // spans as many units as the pad.
    function fit(size) {
      boxes.setAttribute("viewBox", `0 0 ${size.width} ${size.height}`);
      boxes.setAttribute("preserveAspectRatio", "none");
    }

    function showBoxes(answer, size) {
      boxes.replaceChildren();
      fit(size);
      const marks = answer.digits
        .filter((digit) => Array.isArray(digit.box))
        .map((digit) => ({ box: digit.box, label: String(digit.digit), className: "box" }))
        .concat(
          answer.notDigits
            .filter((mark) => Array.isArray(mark.box))
            .map((mark) => ({ box: mark.box, label: "?", className: "box box--not-digit" })),
        );
      for (const { box, label, className } of marks) {
        const [x, y, width, height] = box;
        const group = svg("g", { class: className });
        const title = svg("title", {});
        title.textContent = label === "?" ? "Not a digit" : `Read as ${label}`;
        group.append(
          title,
          svg("rect", {
            x: x - BOX_MARGIN,
            y: y - BOX_MARGIN,
            width: width + 2 * BOX_MARGIN,
            height: height + 2 * BOX_MARGIN,
            rx: 6,
          }),
        );
        const text = svg("text", { x: x - BOX_MARGIN + 4, y: Math.max(y - BOX_MARGIN - 4, 16) });
        text.textContent = label;
        group.append(text);
        boxes.append(group);
      }
      boxes.hidden = marks.length === 0;
    }

    function hideBoxes() {
      boxes.replaceChildren();
      boxes.hidden = true;
    }

    function showDigits(answer) {
      digitList.replaceChildren();
      digitList.hidden = !answer.isNumber;
      if (!answer.isNumber) return;
      answer.digits.forEach((digit, index) => {
        const item = document.createElement("li");
        item.className = "digit-card";
        const unsure = digit.probability < UNSURE_BELOW;
        item.classList.toggle("digit-card--unsure", unsure);
        const value = document.createElement("span");
        value.className = "digit-card__digit";
        value.textContent = String(digit.digit);
        const image = document.createElement("img");
        image.className = "digit-card__input";
        image.width = 28;
        image.height = 28;
        image.src = digit.model_input;
        image.alt = `The 28×28 image the model read for the ${ordinal(index + 1)} digit`;
        const chance = document.createElement("span");
        chance.className = "digit-card__probability";
        chance.textContent = percent(digit.probability);
        item.append(value, image, chance);
        if (unsure && Array.isArray(digit.probabilities)) {
          const second = topTwo(digit.probabilities)[1];
          const other = document.createElement("span");
          other.className = "digit-card__alternative";
          other.textContent = `or ${second.digit}`;
          item.append(other);
        }
        digitList.append(item);
      });
    }

    function showBars(answer) {
      const top = topTwo(answer.probabilities)[0].digit;
      barsTitle.textContent =
        answer.verdict === "not_a_digit"
          ? "If it were a digit"
          : answer.isNumber
            ? "All ten digits, for the least certain digit"
            : "All ten digits";
      bars.forEach((bar, digit) => {
        const share = answer.probabilities[digit] * 100;
        bar.querySelector(".bar__fill").style.width = `${share}%`;
        bar.querySelector(".bar__value").textContent = `${share.toFixed(1)}%`;
        bar.classList.toggle("bar--top", digit === top);
      });
    }

    function showAlternative(answer) {
      alternative.hidden = !answer.unsure;
      if (!answer.unsure) return;
      if (answer.isNumber) {
        alternative.textContent = "Unsure: a second choice shows under the doubtful digits.";
      } else {
        const second = topTwo(answer.probabilities)[1];
        const chance = second.probability * answer.digitShare;
        alternative.textContent = `Or maybe ${withArticle(second.digit)}: ${percent(chance)}`;
      }
    }

    return {
      fit,
      // Show `answer` (answers.reading) as `kind` ("live" or "saved"), with its boxes on a pad of `size`.
      show(answer, kind, size) {
        const refused = answer.verdict === "not_a_digit";
        refusal.hidden = !refused;
        prediction.classList.toggle("answer__digit--guess", refused);
        predictionLabel.textContent = refused ? "Best guess:" : "Prediction:";
        predictionValue.textContent = refused ? String(answer.prediction) : answer.number;
        probability.textContent = percent(answer.probability);
        showAlternative(answer);
        figure.hidden = answer.isNumber || !answer.modelInput;
        if (answer.modelInput) modelInput.src = answer.modelInput;
        showDigits(answer);
        showBars(answer);
        showBoxes(answer, size);
        setKind(kind);
        body.hidden = false;
      },
      // Keep the answer on screen, marked as belonging to an earlier drawing.
      markStale() {
        hideBoxes();
        setKind("stale");
      },
      hide() {
        body.hidden = true;
        hideBoxes();
        setKind(null);
      },
    };
  }

  app.createResult = createResult;
})((window.DigitReader = window.DigitReader || {}));
