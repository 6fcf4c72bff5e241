// The language switcher submits itself on change; wired here because the
// Content-Security-Policy forbids inline event handlers.
document.addEventListener("change", (event) => {
  if (event.target.matches("#lang-select")) {
    event.target.form.submit();
  }
});

// The staff menu folds behind a button on narrow screens; the Dashboards group is a <details>
// that closes when the person clicks elsewhere or presses Escape, and so does the account menu.
const menuToggle = document.querySelector(".menu-toggle");
const staffMenu = document.getElementById("staff-menu");
if (menuToggle && staffMenu) {
  menuToggle.addEventListener("click", () => {
    const open = menuToggle.getAttribute("aria-expanded") !== "true";
    menuToggle.setAttribute("aria-expanded", String(open));
    staffMenu.classList.toggle("is-open", open);
  });
}
const closeGroups = (except) => {
  document.querySelectorAll(".nav-group details[open], details.account-menu[open]").forEach((group) => {
    if (group !== except) group.removeAttribute("open");
  });
};
document.addEventListener("click", (event) => {
  closeGroups(event.target.closest(".nav-group details, details.account-menu"));
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeGroups(null);
});

// Copy buttons: data-copy names the element whose text goes to the clipboard.
document.querySelectorAll("[data-copy]").forEach((button) => {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(source.textContent.trim());
    const label = button.textContent;
    button.textContent = button.dataset.copied || label;
    setTimeout(() => { button.textContent = label; }, 2000);
  });
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
