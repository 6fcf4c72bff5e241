// The survey editor: drag to reorder questions (SortableJS; each Up/Down button does the same
// from the keyboard, and without this script), and a preview that follows every change.
(function () {
  "use strict";

  function makeSortable(root) {
    if (typeof Sortable === "undefined") return;
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list.sortable) return;
      list.sortable = Sortable.create(list, {
        handle: ".drag-handle",
        draggable: ".question-row",
        animation: 150,
        // Sortable fires "end" on the list; it bubbles to the form, whose hx-trigger posts the order
      });
    });
  }

  // htmx replaces the list after each change: the new one needs its own Sortable
  if (window.htmx) {
    htmx.onLoad(makeSortable);
  } else {
    makeSortable(document);
  }

  var frame = document.getElementById("survey-preview");
  if (!frame) return;
  document.body.addEventListener("voz-survey-changed", function () {
    frame.contentWindow.location.reload();
  });
  document.querySelectorAll("[data-preview-lang]").forEach(function (link) {
    link.addEventListener("click", function () {
      document.querySelectorAll("[data-preview-lang]").forEach(function (other) {
        other.removeAttribute("aria-current");
      });
      link.setAttribute("aria-current", "true");
    });
  });
})();
