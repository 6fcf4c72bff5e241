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

// A reply Voz cannot post (social networks): the agent copies it to post it by hand.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-from]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyFrom);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    button.textContent = button.dataset.copied;
  });
});
