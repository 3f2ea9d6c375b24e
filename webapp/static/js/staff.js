/* Staff pages: find a ready-made sentence by typing a few letters of it. */
(function () {
  "use strict";

  function filterPicker(picker, words) {
    Array.prototype.forEach.call(picker.querySelectorAll("[data-phrase]"), function (phrase) {
      var ticked = phrase.querySelector("input[type=checkbox]").checked;
      // A ticked sentence stays in sight, so nothing chosen disappears while searching.
      phrase.hidden = Boolean(words) && !ticked && phrase.textContent.toLowerCase().indexOf(words) < 0;
    });
    Array.prototype.forEach.call(picker.querySelectorAll(".phrase-group"), function (group) {
      group.hidden = !group.querySelector("[data-phrase]:not([hidden])");
    });
  }

  function setUp(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-phrase-picker]"), function (picker) {
      var filter = picker.querySelector("[data-phrase-filter]");
      if (!filter || filter.dataset.ready) return;
      filter.dataset.ready = "true";
      filter.closest(".phrase-filter").hidden = false;
      filter.addEventListener("input", function (event) {
        event.stopPropagation();  // searching changes nothing in the form: no preview request
        filterPicker(picker, filter.value.toLowerCase().trim());
      });
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();  // Enter here is a search, not "send"
      });
    });
  }

  setUp(document);
  document.addEventListener("htmx:afterSettle", function (event) { setUp(event.target); });
})();
