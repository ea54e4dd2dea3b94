/* Self-check quizzes (the ```quiz fence, src/fidle_examples/plugin/quiz.py).
   The page already holds every question, choice and explanation, the answers in
   a <details> « Voir la réponse »: this script only adds the « Vérifier » button,
   the feedback, and the progress kept in localStorage (one key per page and quiz),
   so that answers survive a reload. Plain JS, no library: works offline and from
   file://. A page without a quiz is left untouched. */
(function () {
  "use strict";

  var NBSP = "\u00a0";
  var quizzes = document.querySelectorAll(".fidle-quiz");
  if (!quizzes.length) {
    return;
  }

  // --- saved progress: {questionIndex: answer as typed or checked} ------------
  function storageKey(quiz) {
    return "fidle-quiz:" + location.pathname + "#" + quiz.getAttribute("data-quiz-id");
  }

  function load(quiz) {
    try {
      return JSON.parse(localStorage.getItem(storageKey(quiz))) || {};
    } catch (e) {
      return {};  // storage disabled or corrupt: start afresh
    }
  }

  function save(quiz, saved) {
    try {
      localStorage.setItem(storageKey(quiz), JSON.stringify(saved));
    } catch (e) {
      // Storage full or disabled: the quiz still works, without memory.
    }
  }

  // --- reading an answer ---------------------------------------------------------
  var SUPERSCRIPTS = { "⁻": "-", "⁺": "+", "⁰": "0", "¹": "1", "²": "2", "³": "3",
                       "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9" };

  // « 97,7 », « 97,7 % », « 199 210 », « 1,2e-3 », « 1,2 × 10^-3 » -> number, or NaN.
  function parseNumber(text, unit) {
    var t = text.replace(/[\s\u00a0\u202f]/g, "");
    if (unit) {
      var u = unit.replace(/[\s\u00a0\u202f]/g, "");
      if (t.slice(-u.length) === u) {
        t = t.slice(0, -u.length);
      }
    }
    t = t.replace(/\u2212/g, "-").replace(/,/g, ".")
         .replace(/[⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹]/g, function (c) { return SUPERSCRIPTS[c]; })
         .replace(/[×x*·]10\^?/, "e");
    return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : NaN;
  }

  function choiceInputs(question) {
    return Array.prototype.slice.call(question.querySelectorAll(".fidle-quiz__choices input"));
  }

  function numberInput(question) {
    return question.querySelector(".fidle-quiz__number input");
  }

  // What the reader answered, in the form saved: [checked indices] or the text typed.
  function currentAnswer(question) {
    var input = numberInput(question);
    if (input) {
      return input.value.trim();
    }
    return choiceInputs(question).filter(function (i) { return i.checked; })
                                 .map(function (i) { return Number(i.value); });
  }

  function restoreAnswer(question, answer) {
    var input = numberInput(question);
    if (input) {
      input.value = typeof answer === "string" ? answer : "";
      return;
    }
    choiceInputs(question).forEach(function (i) {
      i.checked = Array.isArray(answer) && answer.indexOf(Number(i.value)) >= 0;
    });
  }

  function isEmpty(answer) {
    return answer === "" || (Array.isArray(answer) && !answer.length);
  }

  // --- checking ------------------------------------------------------------------
  function explanation(question, index) {
    var item = question.querySelector('.fidle-quiz__explanations li[data-choice="' + index + '"]');
    return item && item.querySelector(".fidle-quiz__why");
  }

  // {ok: true|false|null (not checkable), message, why: [nodes to show]}
  function evaluate(question, answer) {
    if (isEmpty(answer)) {
      return { ok: null, message: question.getAttribute("data-kind") === "number"
        ? "Écrivez d'abord votre réponse." : "Choisissez d'abord une réponse.", why: [] };
    }
    if (question.getAttribute("data-kind") === "number") {
      var value = parseNumber(answer, question.getAttribute("data-unit"));
      if (isNaN(value)) {
        return { ok: null, why: [], message: "«" + NBSP + answer + NBSP + "» n'est pas un "
          + "nombre" + NBSP + ": écrivez par exemple 12,5 (virgule ou point décimal)." };
      }
      var expected = Number(question.getAttribute("data-answer"));
      var tolerance = Number(question.getAttribute("data-tolerance"));
      var ok = Math.abs(value - expected) <= tolerance + 1e-9 * Math.max(1, Math.abs(expected));
      var why = question.querySelector(".fidle-quiz__answer .fidle-quiz__why");
      return { ok: ok, why: ok && why ? [why] : [], message: ok ? "Bonne réponse."
        : "Pas tout à fait. Refaites le calcul, ou ouvrez «" + NBSP + "Voir la réponse" + NBSP + "»." };
    }
    var wrong = [];
    choiceInputs(question).forEach(function (input) {
      var right = question.querySelector('li[data-choice="' + input.value + '"]')
                          .getAttribute("data-right") === "true";
      if (input.checked !== right) {
        wrong.push(Number(input.value));
      }
    });
    // Explain the choices checked wrongly; never reveal a right one left unchecked.
    var shown = wrong.length ? wrong.filter(function (i) { return answer.indexOf(i) >= 0; })
                             : answer;
    var message = !wrong.length ? "Bonne réponse." : shown.length ? "Pas tout à fait."
      : "Pas tout à fait" + NBSP + ": il manque au moins une bonne réponse.";
    return {
      ok: !wrong.length,
      message: message,
      why: shown.map(function (i) { return explanation(question, i); })
                .filter(function (node) { return node; })
    };
  }

  function showFeedback(question, result) {
    var box = question.querySelector(".fidle-quiz__feedback");
    box.textContent = "";
    var verdict = document.createElement("p");
    verdict.className = "fidle-quiz__verdict";
    verdict.textContent = (result.ok === true ? "✓ " : result.ok === false ? "✗ " : "")
      + result.message;
    box.appendChild(verdict);
    result.why.forEach(function (node) {
      box.appendChild(node.cloneNode(true));
    });
    question.classList.toggle("is-right", result.ok === true);
    question.classList.toggle("is-wrong", result.ok === false);
    if (result.ok !== null) {
      question.querySelector(".fidle-quiz__answer").hidden = false;  // now it may be read
    }
  }

  function clearFeedback(question) {
    question.querySelector(".fidle-quiz__feedback").textContent = "";
    question.classList.remove("is-right", "is-wrong");
    var details = question.querySelector(".fidle-quiz__answer");
    details.open = false;
    details.hidden = true;
  }

  // --- one quiz ------------------------------------------------------------------
  function setUp(quiz) {
    var questions = Array.prototype.slice.call(quiz.querySelectorAll(".fidle-quiz__question"))
      .filter(function (q) { return q.hasAttribute("data-answer") || q.getAttribute("data-kind") !== "number"; });
    if (!questions.length) {
      return;  // every answer is missing (examples not run for this build)
    }
    var saved = load(quiz);
    var passed = {};
    var score = quiz.querySelector(".fidle-quiz__score");
    var count = document.createElement("span");
    count.setAttribute("role", "status");
    var reset = document.createElement("button");
    reset.type = "button";
    reset.className = "fidle-quiz__reset";
    reset.textContent = "Effacer mes réponses";
    score.appendChild(count);
    score.appendChild(document.createTextNode(" "));
    score.appendChild(reset);

    function updateScore() {
      var n = questions.filter(function (q) { return passed[q.id]; }).length;
      count.textContent = n + "/" + questions.length + " réussie" + (n > 1 ? "s" : "");
      reset.hidden = !Object.keys(saved).length;
    }

    function check(question, answer, store) {
      var result = evaluate(question, answer);
      showFeedback(question, result);
      passed[question.id] = result.ok === true;
      if (store && result.ok !== null) {
        saved[question.id] = answer;
        save(quiz, saved);
      }
      updateScore();
    }

    questions.forEach(function (question) {
      question.querySelector(".fidle-quiz__actions").hidden = false;
      question.querySelector(".fidle-quiz__answer").hidden = true;
      question.querySelector(".fidle-quiz__check").addEventListener("click", function () {
        check(question, currentAnswer(question), true);
      });
      var input = numberInput(question);
      if (input) {
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") {
            event.preventDefault();
            check(question, currentAnswer(question), true);
          }
        });
      }
      if (Object.prototype.hasOwnProperty.call(saved, question.id)) {
        restoreAnswer(question, saved[question.id]);
        check(question, saved[question.id], false);
      }
    });

    reset.addEventListener("click", function () {
      saved = {};
      passed = {};
      try {
        localStorage.removeItem(storageKey(quiz));
      } catch (e) {
        // nothing saved, nothing to remove
      }
      questions.forEach(function (question) {
        restoreAnswer(question, null);
        clearFeedback(question);
      });
      updateScore();
      var first = questions[0].querySelector("input");
      if (first) {
        first.focus();  // the reset button has just disappeared: keep the focus in the quiz
      }
    });

    score.hidden = false;
    updateScore();
  }

  Array.prototype.forEach.call(quizzes, setUp);
})();
