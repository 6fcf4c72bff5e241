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
  // The preview shown: the frame's own page, or the language tab picked since. A change loads it
  // anew by its address rather than reloading what the frame holds, which, when the change comes
  // before the preview's first load, is an empty page (or an error page, which no script may
  // reload). Each load has an address of its own: Chromium merges a load of the address still
  // loading into that one, which was asked for before the latest change was saved.
  var shown = frame.src;
  var changes = 0;
  document.body.addEventListener("voz-survey-changed", function () {
    var url = new URL(shown, window.location.href);
    changes += 1;
    url.searchParams.set("change", String(changes));
    frame.contentWindow.location.replace(url.href);
  });
  document.querySelectorAll("[data-preview-lang]").forEach(function (link) {
    link.addEventListener("click", function () {
      shown = link.href;
      document.querySelectorAll("[data-preview-lang]").forEach(function (other) {
        other.removeAttribute("aria-current");
      });
      link.setAttribute("aria-current", "true");
    });
  });
})();
