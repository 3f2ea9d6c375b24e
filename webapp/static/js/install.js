// The install page: says so when Mijn Week already runs from the home screen, and where the
// browser offers its own install dialog (Chrome on Android), one button opens it.
// Everyone else follows the steps on the page, which stay in every case.
(function () {
  "use strict";
  var page = document.getElementById("install");
  if (!page) return;
  function show(state, visible) {
    page.querySelector('[data-install="' + state + '"]').hidden = !visible;
  }
  if (window.navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches) {
    show("installed", true);
    return;
  }
  var offer = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();  // no mini-infobar: the button on this page asks instead
    offer = event;
    show("offer", true);
  });
  window.addEventListener("appinstalled", function () {
    offer = null;
    show("offer", false);
    show("done", true);
  });
  page.querySelector('[data-install="offer"] button').addEventListener("click", function () {
    if (!offer) return;
    var asked = offer;
    offer = null;  // the browser's dialog can be shown once per event
    show("offer", false);
    asked.prompt();
    asked.userChoice.then(function (choice) {
      if (choice.outcome === "accepted") show("done", true);
    });
  });
})();
