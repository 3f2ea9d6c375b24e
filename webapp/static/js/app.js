// Mijn Week's own script. htmx does the swapping; this tells people when a request did not
// get through (so nothing they did is lost without a word), keeps the week for reading
// without signal, offers a new version with a "Refresh" button, empties the saved pages on
// sign-out, and reads a day aloud for people who read little.
(function () {
  "use strict";
  var body = document.body;
  var signedIn = body.dataset.signedIn === "true";
  // The page as the server sent it, before any script changed it: kept for reading offline
  // without downloading it a second time.
  var pristine = "<!doctype html>\n" + document.documentElement.outerHTML;

  function byId(id) { return document.getElementById(id); }
  function showProblem(kind) {
    var box = byId("connection-problem");
    if (!box) return;
    box.textContent = box.dataset[kind];
    box.hidden = false;
  }
  function hideProblem() {
    var box = byId("connection-problem");
    if (box) box.hidden = true;
  }
  // A week swap without signal: open it as a whole page, which the service worker has saved.
  function openWhole(config) {
    if (config.verb !== "get" || !config.path) return false;
    window.location.assign(config.path);
    return true;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!navigator.onLine && openWhole(event.detail.requestConfig || {})) event.preventDefault();
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (!openWhole(event.detail.requestConfig || {})) showProblem("offline");
  });
  document.addEventListener("htmx:responseError", function () { showProblem("failed"); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) hideProblem();
  });

  // A saved page shown without signal: say so, and since when (24-hour clock, Western digits).
  function two(n) { return (n < 10 ? "0" : "") + n; }
  var since = body.dataset.offlineSince;
  var notice = byId("offline-notice");
  if (since && notice) {
    var saved = new Date(since);
    var today = new Date();
    var time = two(saved.getHours()) + ":" + two(saved.getMinutes());
    if (saved.toDateString() !== today.toDateString()) {
      time = two(saved.getDate()) + "-" + two(saved.getMonth() + 1) + " " + time;
    }
    // Isolated left-to-right, so "21:05" stays whole inside Arabic text (like bdi on the server).
    notice.textContent = notice.dataset.template.replace("__TIME__", "\u2066" + time + "\u2069");
    notice.hidden = false;
  }

  if (!signedIn) {
    // Signed out (or never signed in): no personal page stays on this phone, and the previous
    // person's reminders stop coming to it (their push service then tells the server it is gone).
    if ("caches" in window) caches.delete("pages");
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.getRegistration().then(function (registration) {
        return registration && registration.pushManager && registration.pushManager.getSubscription();
      }).then(function (subscription) {
        if (subscription) return subscription.unsubscribe();
      }).catch(function () { /* nothing to stop */ });
    }
  }

  if (signedIn && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(function (registration) {
      var keep = document.querySelector("[data-save-for-offline]");
      var worker = registration.active || registration.waiting || registration.installing;
      if (keep && !since && worker) {
        // A page the worker did not serve (the very first one) is handed over as it is.
        var shown = navigator.serviceWorker.controller ? null : pristine;
        worker.postMessage({ type: "save-pages", urls: keep.dataset.saveForOffline.split(" "),
                             page: location.pathname, html: shown });
      }
      function offer(waiting) {
        var prompt = byId("update-ready");
        if (!prompt || !navigator.serviceWorker.controller) return;
        prompt.hidden = false;
        prompt.querySelector("button").addEventListener("click", function () {
          waiting.postMessage({ type: "refresh" });
        });
      }
      if (registration.waiting) offer(registration.waiting);
      registration.addEventListener("updatefound", function () {
        var installing = registration.installing;
        installing.addEventListener("statechange", function () {
          if (installing.state === "installed") offer(installing);
        });
      });
    }).catch(function () { /* no service worker here: the app works online only */ });
    var reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloading || !byId("update-ready") || byId("update-ready").hidden) return;
      reloading = true;
      window.location.reload();
    });
  }

  // Read a day aloud, in the page's language, only when the phone has a voice for it. Text someone
  // wrote in another language has its own button, with a voice for that language.
  if (!("speechSynthesis" in window)) return;
  var lang = document.documentElement.lang;
  var voice = null;
  function voiceFor(code) {
    var voices = window.speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang.toLowerCase().split(/[-_]/)[0] === code) return voices[i];
    }
    return null;
  }
  function writtenText(button) {
    return button.parentNode.querySelector("[lang]");
  }
  function languageOf(element) {
    return element.lang.toLowerCase().split(/[-_]/)[0];
  }
  function findVoice() {
    voice = voiceFor(lang);
    Array.prototype.forEach.call(document.querySelectorAll("[data-read-aloud]"), function (button) {
      button.hidden = !voice;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-read-text]"), function (button) {
      button.hidden = !voiceFor(languageOf(writtenText(button)));
    });
  }
  findVoice();
  window.speechSynthesis.addEventListener("voiceschanged", findVoice);
  document.addEventListener("htmx:afterSettle", findVoice);
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-read-aloud], [data-read-text]");
    if (!button) return;
    var own = button.hasAttribute("data-read-text");
    var chosen = own ? voiceFor(languageOf(writtenText(button))) : voice;
    if (!chosen) return;
    var synth = window.speechSynthesis;
    var speaking = button.getAttribute("aria-pressed") === "true";
    synth.cancel();
    Array.prototype.forEach.call(document.querySelectorAll("[data-read-aloud], [data-read-text]"), function (other) {
      other.setAttribute("aria-pressed", "false");
    });
    if (speaking) return;
    var text;
    if (own) {
      text = writtenText(button).textContent;
    } else {
      var day = button.closest(".day").cloneNode(true);
      Array.prototype.forEach.call(day.querySelectorAll("button, form, [data-not-read]"), function (node) {
        node.remove();
      });
      text = day.textContent;
    }
    var utterance = new SpeechSynthesisUtterance(text.replace(/\s+/g, " ").trim());
    utterance.lang = chosen.lang;
    try { utterance.voice = chosen; } catch (error) { /* the language alone picks a voice */ }
    utterance.rate = 0.9;
    utterance.onend = function () { button.setAttribute("aria-pressed", "false"); };
    button.setAttribute("aria-pressed", "true");
    synth.speak(utterance);
  });
})();
