/* Voz feedback widget: one <script src="https://VOZ/w/widget.js" data-site="KEY" async></script>.
   Plain JavaScript, no third-party requests; drawn in a shadow root so the shop's CSS and ours never
   mix. Sends to the Voz server the script was loaded from. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.site || window.__vozWidget) return;
  window.__vozWidget = true;
  var endpoint = new URL(script.src).origin + "/w/" + encodeURIComponent(script.dataset.site) + "/feedback/";
  var pageLang = (script.dataset.lang || document.documentElement.lang || navigator.language || "es").slice(0, 2);
  var lang = pageLang === "en" ? "en" : "es";
  var T = {
    es: {
      tab: "Opinión", title: "¿Qué te parece esta página?", rate: "Valora esta página de 1 a 5",
      stars: ["Muy mala", "Mala", "Normal", "Buena", "Muy buena"], comment: "¿Quieres contarnos algo? (opcional)",
      email: "Tu email, si quieres respuesta (opcional)", send: "Enviar", close: "Cerrar",
      thanks: "¡Gracias! Lo leeremos con atención.", empty: "Elige una valoración o escribe un comentario.",
      failed: "No se pudo enviar. Inténtalo de nuevo en un momento.",
      accept: "Sí, responder", decline: "Ahora no", newTab: "(se abre en otra pestaña)"
    },
    en: {
      tab: "Feedback", title: "What do you think of this page?", rate: "Rate this page from 1 to 5",
      stars: ["Very poor", "Poor", "OK", "Good", "Very good"], comment: "Anything to tell us? (optional)",
      email: "Your email, if you would like a reply (optional)", send: "Send", close: "Close",
      thanks: "Thank you! We will read it carefully.", empty: "Choose a rating or write a comment.",
      failed: "It could not be sent. Please try again in a moment.",
      accept: "Yes, answer", decline: "Not now", newTab: "(opens in a new tab)"
    }
  }[lang];

  var css =
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".tab{position:fixed;right:0;bottom:30%;z-index:2147483000;background:#1f5fbf;color:#fff;border:0;" +
    "border-radius:8px 0 0 8px;padding:12px 10px;font-size:15px;cursor:pointer;writing-mode:vertical-rl}" +
    ".tab:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f5b400;outline-offset:2px}" +
    ".backdrop{position:fixed;inset:0;background:rgba(0,0,0,.35);z-index:2147483001;display:flex;align-items:flex-end;justify-content:center}" +
    "@media(min-width:600px){.backdrop{align-items:center}}" +
    ".dialog{background:#fff;color:#1d2433;width:100%;max-width:420px;border-radius:12px 12px 0 0;padding:20px;max-height:90vh;overflow:auto}" +
    "@media(min-width:600px){.dialog{border-radius:12px}}" +
    "h2{font-size:18px;margin:0 0 12px}fieldset{border:0;padding:0;margin:0 0 12px}legend{font-size:14px;margin-bottom:8px}" +
    ".stars{display:flex;gap:6px}.stars button{flex:1;min-height:44px;border:1px solid #c5cbd6;background:#f6f7f9;border-radius:8px;font-size:18px;cursor:pointer}" +
    ".stars button[aria-pressed=true]{background:#1f5fbf;color:#fff;border-color:#1f5fbf}" +
    "label{display:block;font-size:14px;margin:8px 0 4px}textarea,input{width:100%;font-size:16px;padding:8px;border:1px solid #c5cbd6;border-radius:8px}" +
    "textarea{min-height:80px}.row{display:flex;gap:8px;justify-content:flex-end;margin-top:14px}" +
    ".send{background:#1f5fbf;color:#fff;border:0;border-radius:8px;padding:10px 18px;font-size:16px;cursor:pointer;min-height:44px}" +
    ".accept{display:inline-flex;align-items:center;text-decoration:none}" +
    ".close{background:none;border:1px solid #c5cbd6;border-radius:8px;padding:10px 14px;font-size:16px;cursor:pointer;min-height:44px}" +
    ".msg{font-size:14px;margin:10px 0 0}.msg.error{color:#b3261e}.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}";

  var host = document.createElement("div");
  host.setAttribute("data-voz-widget", "");
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = css;
  root.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  var tab = el("button", { class: "tab", type: "button", "aria-haspopup": "dialog" }, T.tab);
  root.appendChild(tab);
  var backdrop = null;
  var opener = null;

  function close() {
    if (!backdrop) return;
    backdrop.remove();
    backdrop = null;
    if (opener) opener.focus();
  }

  // A modal dialog: focus stays inside it while open, Escape or a click outside closes it, and
  // the focus goes back to what opened it (nothing, for an intercept that opened by itself).
  function modal(openedBy) {
    opener = openedBy;
    backdrop = el("div", { class: "backdrop" });
    var dialog = el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "voz-title" });
    backdrop.appendChild(dialog);
    root.appendChild(backdrop);
    backdrop.addEventListener("click", function (event) { if (event.target === backdrop) close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); return; }
      if (event.key !== "Tab") return;
      var focusable = Array.prototype.filter.call(
        dialog.querySelectorAll("a[href],button,textarea,input:not([tabindex='-1'])"),
        function (node) { return !node.disabled; }
      );
      var first = focusable[0];
      var last = focusable[focusable.length - 1];
      if (event.shiftKey && root.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && root.activeElement === last) { event.preventDefault(); first.focus(); }
    });
    return dialog;
  }

  function open() {
    if (backdrop) return;
    var rating = null;
    var dialog = modal(tab);
    var form = el("form", { novalidate: "" });
    form.appendChild(el("h2", { id: "voz-title" }, T.title));
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend", {}, T.rate));
    var stars = el("div", { class: "stars" });
    T.stars.forEach(function (label, index) {
      var button = el("button", { type: "button", "aria-pressed": "false", "aria-label": index + 1 + " · " + label }, String(index + 1));
      button.addEventListener("click", function () {
        rating = index + 1;
        message.textContent = "";
        stars.querySelectorAll("button").forEach(function (other, k) { other.setAttribute("aria-pressed", String(k === index)); });
      });
      stars.appendChild(button);
    });
    fieldset.appendChild(stars);
    form.appendChild(fieldset);
    form.appendChild(el("label", { for: "voz-comment" }, T.comment));
    var comment = el("textarea", { id: "voz-comment", maxlength: "2000" });
    form.appendChild(comment);
    form.appendChild(el("label", { for: "voz-email" }, T.email));
    var email = el("input", { id: "voz-email", type: "email", autocomplete: "email" });
    form.appendChild(email);
    var trap = el("div", { class: "hp", "aria-hidden": "true" });
    var honeypot = el("input", { type: "text", name: "website", tabindex: "-1", autocomplete: "off" });
    trap.appendChild(honeypot);
    form.appendChild(trap);
    var message = el("p", { class: "msg", role: "status", "aria-live": "polite" });
    form.appendChild(message);
    comment.addEventListener("input", function () { message.textContent = ""; });
    var row = el("div", { class: "row" });
    var cancel = el("button", { type: "button", class: "close" }, T.close);
    var send = el("button", { type: "submit", class: "send" }, T.send);
    row.appendChild(cancel);
    row.appendChild(send);
    form.appendChild(row);
    dialog.appendChild(form);
    cancel.addEventListener("click", close);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = comment.value.trim();
      if (!rating && !text) { message.className = "msg error"; message.textContent = T.empty; return; }
      send.disabled = true;
      fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "omit",
        body: JSON.stringify({
          rating: rating, comment: text, email: email.value.trim(), website: honeypot.value,
          page_url: location.href.slice(0, 500), referrer: document.referrer.slice(0, 500),
          browser_language: (navigator.language || "").slice(0, 35), language: lang
        })
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        form.replaceChildren(el("h2", { id: "voz-title", tabindex: "-1" }, T.thanks), row);
        row.replaceChildren(cancel);
        root.getElementById("voz-title").focus();
      }).catch(function () {
        send.disabled = false;
        message.className = "msg error";
        message.textContent = T.failed;
      });
    });
    stars.querySelector("button").focus();
  }

  tab.addEventListener("click", open);

  // ---- Intercept surveys: offered by the rules set in Voz (pages, time on page, scroll depth);
  // the server draws the sample and keeps the cooldown, the browser remembers it to spare requests.
  var base = new URL(script.src).origin + "/w/" + encodeURIComponent(script.dataset.site) + "/intercepts/";
  var store = (function () {
    try { localStorage.setItem("voz_probe", "1"); localStorage.removeItem("voz_probe"); return localStorage; }
    catch (error) { return null; }  // no storage, no way to keep a cooldown: never intercept
  })();

  function visitorId() {
    var id = store.getItem("voz_visitor");
    if (!id) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      store.setItem("voz_visitor", id);
    }
    return id;
  }

  function pageMatches(pattern) {
    var target = location.pathname + (pattern.indexOf("?") >= 0 && location.search ? location.search : "");
    var regex = "^" + pattern.split("*").map(function (piece) {
      return piece.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    }).join(".*") + "$";
    return new RegExp(regex).test(target);
  }

  function quietUntil(days) { store.setItem("voz_quiet_until", String(Date.now() + days * 86400000)); }

  function scrolledPercent() {
    var page = document.documentElement;
    var scrollable = page.scrollHeight - window.innerHeight;
    return scrollable <= 0 ? 100 : (100 * window.scrollY) / scrollable;
  }

  function whenTriggered(rule, then) {
    var waited = rule.seconds <= 0;
    var scrolled = rule.scroll <= 0 || scrolledPercent() >= rule.scroll;
    var done = false;
    function check() {
      if (done || !waited || !scrolled) return;
      done = true;
      window.removeEventListener("scroll", onScroll);
      then();
    }
    function onScroll() { if (scrolledPercent() >= rule.scroll) { scrolled = true; check(); } }
    if (!scrolled) window.addEventListener("scroll", onScroll, { passive: true });
    if (!waited) setTimeout(function () { waited = true; check(); }, rule.seconds * 1000);
    check();
  }

  function offer(rule) {
    fetch(base + rule.id + "/offer/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify({
        visitor_id: visitorId(), page_url: location.href.slice(0, 500), referrer: document.referrer.slice(0, 500),
        language: lang, customer: script.dataset.customer || "", customer_signature: script.dataset.customerSignature || ""
      })
    }).then(function (response) { return response.ok ? response.json() : null; }).then(function (answer) {
      if (!answer) return;
      // not drawn for this survey: the draw is stable, so stop asking the server about it for a
      // while (a larger sample set later in Voz reaches this visitor after the cooldown)
      if (answer.reason === "sample") store.setItem("voz_skip_" + rule.id, String(Date.now() + rule.cooldown_days * 86400000));
      else quietUntil(answer.offer ? rule.cooldown_days : 1);
      if (answer.offer && !backdrop) showOffer(answer.offer);
    }).catch(function () {});
  }

  function showOffer(invite) {
    var dialog = modal(null);
    dialog.appendChild(el("h2", { id: "voz-title" }, invite.title));
    dialog.appendChild(el("p", {}, invite.prompt));
    var row = el("div", { class: "row" });
    var decline = el("button", { type: "button", class: "close" }, T.decline);
    var accept = el("a", { class: "send accept", href: invite.url, target: "_blank", rel: "noopener" }, T.accept);
    accept.appendChild(el("span", { class: "hp" }, " " + T.newTab));
    decline.addEventListener("click", close);
    accept.addEventListener("click", function () { setTimeout(close, 0); });
    row.appendChild(decline);
    row.appendChild(accept);
    dialog.appendChild(row);
    accept.focus();
  }

  function intercepts() {
    if (!store || Number(store.getItem("voz_quiet_until") || 0) > Date.now()) return;
    fetch(base, { credentials: "omit" }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (config) {
        var rule = config && config.intercepts.filter(function (candidate) {
          if (Number(store.getItem("voz_skip_" + candidate.id) || 0) > Date.now()) return false;
          return !candidate.pages.length || candidate.pages.some(pageMatches);
        })[0];
        if (rule) whenTriggered(rule, function () { offer(rule); });
      }).catch(function () {});
  }

  function mount() { document.body.appendChild(host); intercepts(); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
