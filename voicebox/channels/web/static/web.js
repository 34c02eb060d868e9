/* Voicebox web chat: enhances the plain forms. Everything works without this file.
   - answers are sent without reloading; only the new messages are added to the log;
   - focus moves to the new reply; short status messages go to role="status";
   - Read aloud uses the browser's own speech; it stays hidden until the device has a voice;
   - the answer box counts letters, and says so near the limit;
   - Exit this page leaves at once and replaces this page in the history. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");
  var speech = "speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function";

  /* Read aloud buttons show only once a voice is known: some browsers have speech but no
     voice, and many list their voices a moment after the page loads (voiceschanged). */
  function hasVoice() {
    try {
      var voices = window.speechSynthesis.getVoices();
      return !!(voices && voices.length);
    } catch (error) {
      return false;
    }
  }

  function checkVoices() {
    root.classList.toggle("can-speak", speech && hasVoice());
  }

  if (speech) {
    checkVoices();
    if (typeof window.speechSynthesis.addEventListener === "function") {
      window.speechSynthesis.addEventListener("voiceschanged", checkVoices);
    }
  }
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var SENDING = "Sending your answer.";
  var OFFLINE = "Sorry, that did not send. Check you are online, then try again.";
  var TRY_AGAIN = "Sorry, that did not work. Please try again.";

  function byId(id) {
    return document.getElementById(id);
  }

  function setStatus(text) {
    var status = byId("status");
    if (status) {
      status.textContent = text || "";
    }
  }

  /* Exit this page */
  function leave(link) {
    if (speech) {
      window.speechSynthesis.cancel();
    }
    document.body.hidden = true;
    window.location.replace(link.href);
  }

  /* Read aloud */
  var speaking = null;

  function labelOf(button) {
    return button.querySelector("span") || button;
  }

  function showSpeaking(button, on) {
    labelOf(button).textContent = on ? "Stop reading" : "Read aloud";
    button.setAttribute("title", on ? "Stop reading" : "Read aloud");
    button.classList.toggle("speaking", on);
  }

  function stopSpeaking() {
    if (speaking) {
      showSpeaking(speaking, false);
      speaking = null;
    }
    if (speech) {
      window.speechSynthesis.cancel();
    }
  }

  function englishVoice() {
    var voices = window.speechSynthesis.getVoices() || [];
    for (var i = 0; i < voices.length; i += 1) {
      if (voices[i].lang === "en-GB") {
        return voices[i];
      }
    }
    return null;
  }

  function readAloud(button) {
    if (!speech || !root.classList.contains("can-speak")) {
      return;
    }
    var again = speaking === button;
    stopSpeaking();
    if (again) {
      return;
    }
    var utterance = new window.SpeechSynthesisUtterance(button.getAttribute("data-speak") || "");
    utterance.lang = "en-GB";
    utterance.rate = 0.9;
    var voice = englishVoice();
    if (voice) {
      try {
        utterance.voice = voice;
      } catch (error) {
        /* not a voice this browser can use: its own default reads instead */
      }
    }
    utterance.onend = utterance.onerror = function () {
      if (speaking === button) {
        showSpeaking(button, false);
        speaking = null;
      }
    };
    speaking = button;
    showSpeaking(button, true);
    window.speechSynthesis.speak(utterance);
  }

  /* Cards: each is a toggle button. A press flips aria-pressed (a screen reader says
     "pressed" or "not pressed") and the hidden field that Done sends. */
  function toggleCard(card) {
    var on = card.getAttribute("aria-pressed") !== "true";
    var key = card.getAttribute("data-key") || "";
    card.setAttribute("aria-pressed", on ? "true" : "false");
    card.value = (on ? "-" : "+") + key;
    var form = card.form;
    var field = form && form.querySelector("input[name='cards']");
    if (!field) {
      return;
    }
    var keys = [];
    var pressed = form.querySelectorAll(".card[aria-pressed='true']");
    for (var i = 0; i < pressed.length; i += 1) {
      keys.push(pressed[i].getAttribute("data-key"));
    }
    field.value = field.getAttribute("data-step") + ":" + keys.join(",");
  }

  /* Sending answers without a reload */
  var busy = false;
  var lastButton = null;

  function focusReply(id) {
    var target = id ? byId(id) : null;
    if (!target) {
      var turns = document.querySelectorAll("#log .turn-bot");
      target = turns.length ? turns[turns.length - 1] : null;
    }
    if (!target) {
      return;
    }
    var skip = document.querySelector(".skip-link");
    if (skip) {
      skip.setAttribute("href", "#" + target.id);
    }
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start", behavior: reduceMotion ? "auto" : "smooth" });
  }

  function apply(body) {
    var log = byId("log");
    var answer = byId("answer");
    if (body.log_html && log) {
      var current = log.querySelectorAll(".msg.current");
      for (var i = 0; i < current.length; i += 1) {
        current[i].classList.remove("current");
      }
      log.insertAdjacentHTML("beforeend", body.log_html);
    }
    if (answer && typeof body.answer_html === "string") {
      window.clearTimeout(countTimer);
      lastSaid = "";
      answer.innerHTML = body.answer_html;
    }
    setStatus(body.status || "");
    var invalid = answer && answer.querySelector("[aria-invalid='true']");
    if (invalid) {
      invalid.focus();
    } else if (body.focus) {
      focusReply(body.focus);
    } else if (answer && !answer.contains(document.activeElement)) {
      focusReply(null);
    }
  }

  function send(form, button) {
    if (busy) {
      return;
    }
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      data.append(key, value);
    });
    if (button && button.name) {
      data.append(button.name, button.value);
    }
    busy = true;
    stopSpeaking();
    form.setAttribute("aria-busy", "true");
    setStatus(SENDING);
    window
      .fetch(form.getAttribute("data-messages"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body };
          },
          function () {
            return { ok: false, body: {} };
          }
        );
      })
      .then(function (result) {
        if (result.ok && typeof result.body.go === "string") {
          window.location.assign(result.body.go); /* a code moved them to another check-in */
          return;
        }
        if (!result.ok && typeof result.body.answer_html !== "string") {
          setStatus(result.body.status || TRY_AGAIN);
          return;
        }
        apply(result.body); /* an answer, or the check-in has closed: the form goes */
      })
      .catch(function () {
        setStatus(OFFLINE);
      })
      .then(function () {
        busy = false;
        form.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var exit = target.closest("#quick-exit");
    if (exit) {
      event.preventDefault();
      leave(exit);
      return;
    }
    var reader = target.closest(".read-aloud");
    if (reader) {
      readAloud(reader);
      return;
    }
    var card = target.closest(".answer-form .card");
    if (card) {
      event.preventDefault(); /* pressed in place: no form post */
      toggleCard(card);
      return;
    }
    var button = target.closest(".answer-form button");
    lastButton = button || null;
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("answer-form")) {
      return;
    }
    if (!window.fetch || !window.URLSearchParams || !window.FormData) {
      return; /* an old browser: the plain form post works */
    }
    event.preventDefault();
    send(form, event.submitter || lastButton);
    lastButton = null;
  });

  /* The letter counter under the answer box. It changes as the person types, but is not a
     live region: only near the limit (and over it) is the count said, once typing pauses. */
  var NEAR = 200;
  var countTimer = null;
  var lastSaid = "";

  function number(value) {
    return value.toLocaleString("en-GB");
  }

  function lettersIn(box) {
    var text = box.value.replace(/\r\n?/g, "\n").trim();
    if (text.normalize) {
      text = text.normalize("NFC");
    }
    return Array.from ? Array.from(text).length : text.length;
  }

  function counterWords(count, limit) {
    if (count === 0) {
      return "You can write up to " + number(limit) + " letters.";
    }
    if (count > limit) {
      return number(count) + " of " + number(limit) + " letters. That is " + number(count - limit) + " too many.";
    }
    return number(count) + " of " + number(limit) + " letters.";
  }

  function spokenCount(count, limit) {
    if (count > limit) {
      return "Your answer is " + number(count - limit) + " letters too long.";
    }
    if (limit - count <= NEAR) {
      return "You have " + number(limit - count) + " letters left.";
    }
    return "";
  }

  function updateCounter(box) {
    var counter = byId("answer-count");
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    if (!counter || !limit) {
      return;
    }
    var count = lettersIn(box);
    counter.textContent = counterWords(count, limit);
    counter.classList.toggle("counter-over", count > limit);
    window.clearTimeout(countTimer);
    countTimer = window.setTimeout(function () {
      var said = byId("answer-count-said");
      var words = spokenCount(lettersIn(box), limit);
      if (said && words !== lastSaid) {
        said.textContent = words;
        lastSaid = words;
      }
    }, 1000);
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target instanceof HTMLTextAreaElement && target.id === "answer-text") {
      updateCounter(target);
    }
  });

  /* Ctrl+Enter (or Cmd+Enter) in the answer box sends it; Enter alone makes a new line. */
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) {
      return;
    }
    if (!(target instanceof HTMLTextAreaElement) || !target.form) {
      return;
    }
    var sendButton = target.form.querySelector(".send");
    if (sendButton) {
      event.preventDefault();
      sendButton.click();
    }
  });
})();
