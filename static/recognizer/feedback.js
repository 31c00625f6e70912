// "Right?": confirm a saved answer, or correct it (a digit, a number, or "not a digit").
//
// Feedback goes only to a saved answer (one with an id and a token from /api/predict), and only while
// that answer's drawing is on the pad: the page hides this group as soon as the drawing changes.
(function (app) {
  "use strict";

  const { withArticle } = app.answers;
  const byId = (id) => document.getElementById(id);

  function createFeedback({ csrfToken }) {
    const group = byId("feedback");
    const later = byId("feedback-later");
    const yes = byId("feedback-yes");
    const digitRow = byId("feedback-digit-row");
    const digitButtons = Array.from(group.querySelectorAll(".feedback__digit"));
    const numberForm = byId("feedback-number");
    const numberInput = byId("feedback-number-input");
    const notDigit = byId("feedback-not-digit");
    const status = byId("feedback-status");
    const numberPattern = new RegExp(`^${numberInput.pattern}$`);

    let saved = null;  // {body, answer, chosen}: the saved answer on screen
    let queue = Promise.resolve();  // answers are sent one after another, so the last one stays

    function say(text, kind) {
      status.textContent = text;
      status.dataset.kind = kind || "";
    }

    function confirming(chosen) {
      return chosen !== null && chosen.kind === "yes";
    }

    function mark(chosen) {
      const confirmed = confirming(chosen);
      yes.setAttribute("aria-pressed", String(confirmed));
      digitButtons.forEach((button) => {
        const picked = !confirmed && chosen !== null && chosen.kind === "label";
        button.setAttribute("aria-pressed", String(picked && Number(button.dataset.label) === chosen.value));
      });
      notDigit.setAttribute("aria-pressed", String(chosen !== null && chosen.kind === "not_a_digit"));
      numberInput.value = chosen !== null && chosen.kind === "number" ? chosen.value : "";
      numberInput.removeAttribute("aria-invalid");
    }

    // What the API is told: {label}, {number} or {not_a_digit}, as the answer and the choice go.
    function payload(answer, chosen) {
      if (chosen.kind === "yes") {
        if (answer.verdict === "not_a_digit") return { not_a_digit: true };
        return answer.isNumber ? { number: answer.number } : { label: answer.prediction };
      }
      if (chosen.kind === "label") return { label: chosen.value };
      if (chosen.kind === "not_a_digit") return { not_a_digit: true };
      // One digit typed for a one-digit answer is the seed's label, which every server takes.
      if (!answer.isNumber && chosen.value.length === 1) return { label: Number(chosen.value) };
      return { number: chosen.value };
    }

    function thanks(body, chosen) {
      if (chosen.kind === "yes" || body.correct === true) return "Thanks!";
      if (chosen.kind === "not_a_digit") return "Thanks! Noted: not a digit.";
      return `Thanks! Noted: it was ${withArticle(chosen.value)}.`;
    }

    async function post(target, data) {
      const url = group.dataset.urlTemplate.replace("/0/", `/${target.body.id}/`);
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify({ ...data, feedback_token: target.body.feedback_token }),
      });
      if (!response.ok) throw new Error(`The server answered ${response.status}`);
      return response.json();
    }

    function give(chosen) {
      const target = saved;
      if (target === null) return;
      const previous = target.chosen;
      target.chosen = chosen;
      mark(chosen);
      say("Saving…");
      const data = payload(target.answer, chosen);
      queue = queue.then(() => post(target, data)).then(
        (body) => {
          if (saved === target) say(thanks(body, chosen), "success");
        },
        (error) => {
          console.error("Feedback failed:", error);
          target.chosen = previous;
          if (saved !== target) return;
          mark(previous);
          say("Your answer could not be saved. Please try again.", "error");
        },
      );
    }

    yes.addEventListener("click", () => give({ kind: "yes" }));
    digitButtons.forEach((button) => {
      button.addEventListener("click", () => give({ kind: "label", value: Number(button.dataset.label) }));
    });
    notDigit.addEventListener("click", () => give({ kind: "not_a_digit" }));
    numberForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const typed = numberInput.value.trim();
      if (!numberPattern.test(typed)) {
        numberInput.setAttribute("aria-invalid", "true");
        say(`Type the number with the digits 0 to 9 only (at most ${numberInput.maxLength}).`, "error");
        numberInput.focus();
        return;
      }
      give({ kind: "number", value: typed });
    });

    return {
      // Ask about `target` ({body, answer, chosen}, a saved answer), or, with null, about nothing:
      // `live` says a live answer is on screen (it can be kept with Predict, then answered).
      ask(target, { live = false } = {}) {
        saved = target;
        group.hidden = target === null;
        later.hidden = !live;
        if (target === null) return;
        const { answer } = target;
        const refused = answer.verdict === "not_a_digit";
        yes.setAttribute(
          "aria-label",
          refused ? "Yes, it is not a digit" : `Yes, it is ${answer.isNumber ? answer.number : withArticle(answer.number)}`,
        );
        digitRow.hidden = answer.isNumber;
        digitButtons.forEach((button) => {
          // "No, it was" the digit read makes no sense.
          button.disabled = !refused && Number(button.dataset.label) === answer.prediction;
        });
        notDigit.hidden = refused;
        mark(target.chosen);
        say("");
      },
    };
  }

  app.createFeedback = createFeedback;
})((window.DigitReader = window.DigitReader || {}));
