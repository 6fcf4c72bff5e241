/* Voz product reviews: <script src="https://VOZ/w/reviews.js" data-site="KEY" data-product="SKU" async></script>
   where the reviews should appear (or data-target="#id" to draw them into an element). Plain
   JavaScript in a shadow root, like the feedback widget: the shop's CSS and ours never mix. No
   cookies and no third-party requests: it only talks to the Voz server the script came from. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.site || !script.dataset.product) return;
  var base = new URL(script.src).origin;
  var api = base + "/w/" + encodeURIComponent(script.dataset.site);
  var pageLang = (script.dataset.lang || document.documentElement.lang || navigator.language || "es").slice(0, 2);
  var lang = pageLang === "en" ? "en" : "es";
  var T = {
    es: {
      title: "Reseñas de clientes", of5: "de 5", one: "reseña", many: "reseñas", star: "estrella", stars: "estrellas",
      none: "Todavía no hay reseñas de este producto.", failed: "No se pudieron cargar las reseñas.",
      sort: "Ordenar por", newest: "Más recientes", helpful: "Más útiles", highest: "Mejor valoradas", lowest: "Peor valoradas",
      verified: "Compra verificada", reply: "Respuesta de ", useful: "¿Te ha sido útil?", yes: "Sí", thanks: "¡Gracias!",
      prev: "Anterior", next: "Siguiente", page: "Página {p} de {n}", photo: "Foto de quien opina", customer: "Cliente",
      byStars: "Reseñas por estrellas", outOf: "{r} de 5 estrellas", pages: "Páginas de reseñas"
    },
    en: {
      title: "Customer reviews", of5: "out of 5", one: "review", many: "reviews", star: "star", stars: "stars",
      none: "No reviews of this product yet.", failed: "The reviews could not be loaded.",
      sort: "Sort by", newest: "Newest", helpful: "Most helpful", highest: "Highest rated", lowest: "Lowest rated",
      verified: "Verified buyer", reply: "Reply from ", useful: "Was this helpful?", yes: "Yes", thanks: "Thank you!",
      prev: "Previous", next: "Next", page: "Page {p} of {n}", photo: "Photo by the reviewer", customer: "Customer",
      byStars: "Reviews by stars", outOf: "{r} out of 5 stars", pages: "Review pages"
    }
  }[lang];

  var css =
    ":host{all:initial;display:block}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".w{color:#1d2433;font-size:16px;line-height:1.45;max-width:720px}h2{font-size:20px;margin:0 0 10px}" +
    ".st{color:#b25e00;letter-spacing:1px}.sum{display:flex;flex-wrap:wrap;gap:12px 24px;align-items:center;margin-bottom:14px}" +
    ".avg{font-size:34px;font-weight:700;margin:0}.muted{color:#4a5568;font-size:14px;margin:0}" +
    ".dist{display:grid;grid-template-columns:auto minmax(80px,180px) auto;gap:4px 8px;align-items:center;font-size:14px}" +
    ".bar{height:8px;background:#e5e8ee;border-radius:4px;overflow:hidden}.bar i{display:block;height:100%;background:#b25e00}" +
    "label{font-size:14px;margin-right:6px}select,button{font-size:15px;min-height:44px;border:1px solid #c5cbd6;border-radius:8px;background:#fff;color:#1d2433;padding:6px 12px;cursor:pointer}" +
    "button:focus-visible,select:focus-visible,a:focus-visible{outline:3px solid #f5b400;outline-offset:2px}" +
    "ol{list-style:none;margin:12px 0 0;padding:0}li{border-top:1px solid #dde1e8;padding:14px 0}p{margin:4px 0}" +
    ".badge{display:inline-block;background:#e6f4ea;color:#1e6b34;border-radius:999px;padding:1px 8px;font-size:13px;margin-left:4px}" +
    ".rep{background:#f4f6f9;border-left:3px solid #1f5fbf;padding:8px 12px;margin-top:8px}" +
    ".ph{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px}.ph img{width:72px;height:72px;object-fit:cover;border-radius:6px}" +
    ".nav{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-top:12px}.body{white-space:pre-line;overflow-wrap:anywhere}";

  var host = document.createElement("div");
  host.setAttribute("data-voz-reviews", "");
  var target = script.dataset.target && document.querySelector(script.dataset.target);
  if (target) target.appendChild(host);
  else script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = css;
  root.appendChild(style);
  var box = el("section", { class: "w", lang: lang, "aria-labelledby": "voz-rv-t" });
  root.appendChild(box);
  var state = { sort: "newest", page: 1 };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function stars(n) { var s = ""; for (var i = 1; i <= 5; i++) s += i <= Math.round(n) ? "★" : "☆"; return s; }
  function starsEl(n) {
    return el("span", { class: "st", role: "img", "aria-label": T.outOf.replace("{r}", fmt(n)) }, stars(n));
  }
  function fmt(n) { return Number(n).toLocaleString(lang, { maximumFractionDigits: 1 }); }
  function day(iso) {
    return new Date(iso + "T12:00:00").toLocaleDateString(lang, { year: "numeric", month: "long", day: "numeric" });
  }
  function count(n) { return n.toLocaleString(lang) + " " + (n === 1 ? T.one : T.many); }

  function load() {
    var url = api + "/products/" + encodeURIComponent(script.dataset.product) + "/reviews/?lang=" + lang +
      "&sort=" + state.sort + "&page=" + state.page;
    fetch(url, { credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(draw)
      .catch(function () { box.replaceChildren(el("h2", { id: "voz-rv-t" }, T.title), el("p", { role: "status" }, T.failed)); });
  }

  function draw(data) {
    var s = data.summary;
    box.replaceChildren(el("h2", { id: "voz-rv-t" }, T.title));
    if (!s.count) { box.appendChild(el("p", {}, T.none)); return; }
    var sum = el("div", { class: "sum" });
    var head = el("div");
    head.append(el("p", { class: "avg" }, fmt(s.average)), starsEl(s.average), el("p", { class: "muted" }, count(s.count)));
    var dist = el("div", { class: "dist", role: "table", "aria-label": T.byStars });
    ["5", "4", "3", "2", "1"].forEach(function (k) {
      var n = s.distribution[k] || 0;
      var bar = el("span", { class: "bar", "aria-hidden": "true" });
      var fill = el("i");
      fill.style.width = (100 * n / s.count) + "%";
      bar.appendChild(fill);
      var row = el("div", { role: "row", style: "display:contents" });
      row.append(el("span", { role: "rowheader" }, k + " " + (k === "1" ? T.star : T.stars)), bar, el("span", { role: "cell" }, n.toLocaleString(lang)));
      dist.appendChild(row);
    });
    sum.append(head, dist);
    box.appendChild(sum);

    var sortBox = el("div");
    var select = el("select", { id: "voz-rv-sort" });
    ["newest", "helpful", "highest", "lowest"].forEach(function (k) {
      var o = el("option", { value: k }, T[k]);
      if (k === data.sort) o.selected = true;
      select.appendChild(o);
    });
    select.addEventListener("change", function () { state.sort = select.value; state.page = 1; load(); });
    sortBox.append(el("label", { for: "voz-rv-sort" }, T.sort), select);
    box.appendChild(sortBox);

    var list = el("ol");
    data.reviews.forEach(function (r) { list.appendChild(item(r, data.shop_name)); });
    box.appendChild(list);

    if (data.pages > 1) {
      var nav = el("nav", { class: "nav", "aria-label": T.pages });
      var prev = el("button", { type: "button" }, T.prev);
      var next = el("button", { type: "button" }, T.next);
      prev.disabled = data.page <= 1;
      next.disabled = data.page >= data.pages;
      prev.addEventListener("click", function () { state.page = data.page - 1; load(); });
      next.addEventListener("click", function () { state.page = data.page + 1; load(); });
      nav.append(prev, el("span", { class: "muted" }, T.page.replace("{p}", data.page).replace("{n}", data.pages)), next);
      box.appendChild(nav);
    }
  }

  function item(r, shop) {
    var li = el("li");
    var top = el("p");
    top.appendChild(starsEl(r.rating));
    if (r.title) { top.append(" "); top.appendChild(el("strong", {}, r.title)); }
    var meta = el("p", { class: "muted" }, (r.author || T.customer) + " · " + day(r.date));
    if (r.verified_buyer) meta.appendChild(el("span", { class: "badge" }, "✓ " + T.verified));
    li.append(top, meta);
    if (r.body) li.appendChild(el("p", { class: "body" }, r.body));
    if (r.photos.length) {
      var ph = el("div", { class: "ph" });
      r.photos.forEach(function (p) {
        var a = el("a", { href: base + p.full, target: "_blank", rel: "noopener" });
        a.appendChild(el("img", { src: base + p.thumbnail, alt: T.photo, loading: "lazy", width: "72", height: "72" }));
        ph.appendChild(a);
      });
      li.appendChild(ph);
    }
    if (r.reply) {
      var rep = el("div", { class: "rep" });
      rep.append(el("p", { class: "muted" }, T.reply + shop), el("p", { class: "body" }, r.reply.text));
      li.appendChild(rep);
    }
    var vote = el("p", { class: "muted" }, T.useful + " ");
    var yes = el("button", { type: "button" }, T.yes + " (" + r.helpful + ")");
    yes.addEventListener("click", function () {
      yes.disabled = true;
      fetch(api + "/reviews/" + r.id + "/helpful/", { method: "POST", credentials: "omit" })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (d) { if (d) yes.textContent = T.thanks + " (" + d.helpful + ")"; });
    });
    vote.appendChild(yes);
    li.appendChild(vote);
    return li;
  }

  load();
})();
