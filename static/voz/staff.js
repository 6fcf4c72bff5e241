// The language switcher submits itself on change; wired here because the
// Content-Security-Policy forbids inline event handlers.
document.addEventListener("change", (event) => {
  if (event.target.matches("#lang-select")) {
    event.target.form.submit();
  }
});
