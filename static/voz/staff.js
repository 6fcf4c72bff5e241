// The language switcher submits itself on change; wired here because the
// Content-Security-Policy forbids inline event handlers.
document.addEventListener("change", (event) => {
  if (event.target.matches("#lang-select")) {
    event.target.form.submit();
  }
});

// Canned replies: choosing one inserts its text (already filled in for this case by the server)
// where the cursor is in the reply box, for the agent to adapt before sending.
document.querySelectorAll("[data-canned-for]").forEach((box) => {
  const textarea = document.getElementById(box.dataset.cannedFor);
  const select = box.querySelector("select");
  if (!textarea || !select) return;
  box.hidden = false;
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    if (!option || !option.dataset.text) return;
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.setRangeText(option.dataset.text, start, end, "end");
    textarea.focus();
    select.value = "";
  });
});

// A form that deletes something asks first (data-confirm holds the question, in the page's language).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
