// Keyboard triage: j/k move between cases, x selects, a assigns the selection to me,
// e resolves it, Enter opens the case. Shortcuts are ignored while typing in a field.
(function () {
  const rows = Array.from(document.querySelectorAll("#cases .case-row"));
  const form = document.getElementById("bulk-form");
  if (!rows.length || !form) return;
  let current = -1;
  function focus(index) {
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle("current", i === current));
    rows[current].focus();
  }
  function selected() {
    const boxes = rows.map((row) => row.querySelector("input[type=checkbox]"));
    if (!boxes.some((box) => box.checked) && current >= 0) boxes[current].checked = true;
  }
  function submit(action) {
    selected();
    form.querySelector("select[name=action]").value = action;
    form.submit();
  }
  document.addEventListener("keydown", (event) => {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === "j") focus(current + 1);
    else if (event.key === "k") focus(current - 1);
    else if (event.key === "x" && current >= 0) {
      const box = rows[current].querySelector("input[type=checkbox]");
      box.checked = !box.checked;
    } else if (event.key === "a") submit("assign_me");
    else if (event.key === "e") submit("resolved");
    else if (event.key === "Enter" && current >= 0) window.location = rows[current].dataset.url;
    else return;
    event.preventDefault();
  });
})();
