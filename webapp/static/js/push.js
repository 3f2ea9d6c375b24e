// Reminders on this phone: asks permission only after a tap on a button that says why,
// explains the iPhone's add-to-home-screen step and a refused permission, and on every
// page load re-sends the browser's current subscription (they change and expire silently).
(function () {
  "use strict";
  var signedIn = document.body.dataset.signedIn === "true";
  if (!signedIn || !("serviceWorker" in navigator)) return;
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function post(subscription) {
    return fetch("/push/subscriptions", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(subscription.toJSON()),
    });
  }
  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }
  function isIphoneWithoutInstall() {
    var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
    var installed = window.navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
    return ios && !installed;
  }

  var ready = navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; });
  ready.then(function (registration) {
    if (!("PushManager" in window) || Notification.permission !== "granted") return;
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (subscription) return post(subscription);
      // Allowed before, but signing out ended this phone's subscription: on the settings page
      // (where the week's "reminders do not reach your phone" leads), make a new one quietly.
      var setup = document.getElementById("push-setup");
      var key = setup && setup.dataset.key;
      if (!key) return;
      return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) })
        .then(post);
    });
  }).catch(function () { /* offline or not allowed: the settings page says so */ });

  var box = document.getElementById("push-setup");
  if (!box) return;
  function show(state) {
    Array.prototype.forEach.call(box.querySelectorAll("[data-state]"), function (node) {
      node.hidden = node.dataset.state !== state;
    });
  }
  if (!("PushManager" in window) || !("Notification" in window)) {
    show(isIphoneWithoutInstall() ? "install-first" : "unsupported");
    return;
  }
  if (isIphoneWithoutInstall()) { show("install-first"); return; }
  if (Notification.permission === "denied") { show("denied"); return; }
  show("ask");
  var button = box.querySelector("[data-action=turn-on]");
  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { show("denied"); return; }
      return ready.then(function (registration) {
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key) });
      }).then(post).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        window.location.reload();
      });
    }).catch(function () { show("failed"); button.disabled = false; });
  });
})();
