/* Voicebox web chat: enhances the plain forms. Everything works without this file.
   - answers are sent without reloading; only the new messages are added to the log;
   - focus moves to the new reply; short status messages go to role="status";
   - Read aloud uses the browser's own speech, and is hidden when there is none;
   - Exit this page leaves at once and replaces this page in the history. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");
  var speech = "speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function";
  if (speech) {
    root.classList.add("can-speak");
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
    if (!speech) {
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
      utterance.voice = voice;
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
        if (!result.ok) {
          setStatus(result.body.status || TRY_AGAIN);
          return;
        }
        apply(result.body);
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
