// What an answer from the API says, in the page's words: the reading, its article, its doubts.
(function (app) {
  "use strict";

  // Below this probability the page is unsure and shows the runner-up too.
  const UNSURE_BELOW = 0.8;

  // "a" or "an" before a number read aloud: an 8, an 11, an 18, an 80-89, an 800-899, an 8,000 ...
  // (the first group of three digits decides), but a 0, a 1, a 08 ("zero eight").
  function article(number) {
    const text = String(number);
    if (!/^\d+$/.test(text) || (text.length > 1 && text[0] === "0")) return "a";
    const lead = text.slice(0, ((text.length - 1) % 3) + 1);
    return /^(8|11|18|8\d|8\d\d)$/.test(lead) ? "an" : "a";
  }

  function withArticle(number) {
    return `${article(number)} ${number}`;
  }

  function percent(probability) {
    return `${(probability * 100).toFixed(2)}%`;
  }

  // The two most likely digits of ten probabilities, most likely first: [{digit, probability}, ...].
  function topTwo(probabilities) {
    return probabilities
      .map((probability, digit) => ({ digit, probability }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, 2);
  }

  // The answer in one shape, whether or not the server reads numbers yet (an older server answers
  // only `prediction`, `probability`, `probabilities` and `input_image`: one digit, no boxes).
  function reading(body) {
    const digits = Array.isArray(body.digits) ? body.digits : [];
    const notDigits = Array.isArray(body.not_digits) ? body.not_digits : [];
    const marks = digits.concat(notDigits);
    const verdict = body.verdict || "digit";
    const number =
      verdict === "not_a_digit" ? null : body.number != null ? String(body.number) : String(body.prediction);
    return {
      verdict,
      number,
      digits,
      notDigits,
      prediction: body.prediction,
      probability: body.probability,
      probabilities: body.probabilities,
      // /api/predict sends the input of the digit read; /api/read only each mark's.
      modelInput: body.input_image || (marks.length === 1 ? marks[0].model_input : null),
      // The runner-up's probability on the same scale as `probability` (which counts "not a digit" too):
      // its share among the digits, times the chance the mark is a digit at all.
      digitShare: digits.length === 1 ? 1 - (digits[0].not_a_digit_probability || 0) : 1,
      unsure: verdict !== "not_a_digit" && body.probability < UNSURE_BELOW,
      isNumber: verdict === "number" || (number !== null && number.length > 1),
    };
  }

  app.answers = { UNSURE_BELOW, article, withArticle, percent, topTwo, reading };
})((window.DigitReader = window.DigitReader || {}));
