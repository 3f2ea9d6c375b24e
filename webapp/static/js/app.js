// Mijn Week's own script. htmx does the swapping; this only tells people when a
// request did not get through, so nothing they did is lost without a word.
(function () {
  "use strict";
  function showProblem(kind) {
    var box = document.getElementById("connection-problem");
    if (!box) return;
    box.textContent = box.dataset[kind];
    box.hidden = false;
  }
  function hideProblem() {
    var box = document.getElementById("connection-problem");
    if (box) box.hidden = true;
  }
  document.addEventListener("htmx:sendError", function () { showProblem("offline"); });
  document.addEventListener("htmx:responseError", function () { showProblem("failed"); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) hideProblem();
  });
})();
