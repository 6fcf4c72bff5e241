// The words Swagger UI and ReDoc draw themselves ("Try it out", "Request Body schema"…), in the
// page's language: neither tool has an option for them, so each text they write is replaced, as
// they write it, by its translation from Django's catalogue (core.api_docs.DOCS_UI_WORDS, in the
// #docs-ui-words script). Only a whole text the tools write is replaced, never part of one, and
// never inside the schema's own texts (descriptions, names, examples): those come in the reader's
// language already, and a field may well be called "required".
(function () {
  const source = document.getElementById("docs-ui-words");
  const words = source ? JSON.parse(source.textContent) : {};
  if (!Object.keys(words).length) return; // English: the tools' own words

  const exact = new Map();
  const patterns = []; // "<= %(count)s characters": the parts in %(…)s vary
  for (const [english, translated] of Object.entries(words)) {
    if (!english.includes("%(")) {
      exact.set(english, translated);
      continue;
    }
    const names = [];
    const pattern = english
      .split(/%\((\w+)\)s/)
      .map((part, i) => (i % 2 ? (names.push(part), "(.+?)") : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("");
    patterns.push({ regex: new RegExp(`^${pattern}$`), names, translated });
  }

  function translate(text) {
    if (exact.has(text)) return exact.get(text);
    for (const { regex, names, translated } of patterns) {
      const match = regex.exec(text);
      if (match) return names.reduce((out, name, i) => out.replace(`%(${name})s`, match[i + 1]), translated);
    }
    return null;
  }

  // The schema's texts and the code: never touched.
  const SCHEMA = [
    "pre", "code", "textarea", "script", "style",
    ".markdown", ".renderedMarkdown", ".redoc-markdown", ".info", ".opblock-summary-path",
    ".opblock-summary-description", ".parameter__name:not(.opblock-title)", ".property-name", ".prop-name",
    ".model-title", ".json-schema-2020-12__title", ".microlight", ".token",
  ].join(",");
  // Swagger UI writes its list of a parameter's values as Markdown of its own ("Available values : …")
  const OWN = ".parameter__enum";
  // Labels are the tools' even on the code (ReDoc's "expand" on a JSON sample's brackets); only
  // the schema's prose is left alone.
  const PROSE = ".markdown, .renderedMarkdown, .redoc-markdown";
  const ATTRIBUTES = ["placeholder", "title", "aria-label"];

  function isTheSchemas(element) {
    return Boolean(element.closest(SCHEMA)) && !element.closest(OWN);
  }

  function replaceText(node, translated) {
    const value = node.nodeValue;
    const start = value.length - value.trimStart().length;
    node.nodeValue = value.slice(0, start) + translated + value.slice(start + value.trim().length);
  }

  function translateElement(element) {
    if (!element.closest(PROSE)) {
      for (const name of ATTRIBUTES) {
        const value = element.getAttribute(name);
        const translated = value && translate(value.trim());
        if (translated) element.setAttribute(name, translated);
      }
    }
    if (isTheSchemas(element)) return;
    translateJoiner(element);
    // an element holding only texts, whose words are one phrase split up ("query" " Parameters")
    if (element.firstElementChild) return;
    const texts = [...element.childNodes].filter((child) => child.nodeType === Node.TEXT_NODE && child.nodeValue.trim());
    if (texts.length < 2) return;
    const translated = translate(texts.map((text) => text.nodeValue).join("").trim().replace(/\s+/g, " "));
    if (!translated) return;
    replaceText(texts[0], translated);
    texts.slice(1).forEach((text) => (text.nodeValue = ""));
  }

  function translateText(node) {
    const text = node.nodeValue.trim();
    if (!text || !node.parentElement || isTheSchemas(node.parentElement)) return;
    const translated = translate(text);
    if (translated) replaceText(node, translated);
  }

  function translateTree(root) {
    if (root.nodeType === Node.TEXT_NODE) {
      if (root.parentElement) translateElement(root.parentElement); // a phrase first, then a word alone
      translateText(root);
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translateElement(root);
    root.querySelectorAll("*").forEach(translateElement);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) translateText(node);
  }

  // ReDoc joins the security schemes an operation accepts with " or " (" and ") written by its CSS,
  // after each scheme's span: the rule is overridden once for that span's class.
  const styled = new Set();
  function translateJoiner(element) {
    if (element.tagName !== "SPAN" || !element.querySelector(":scope > span > i")) return;
    const joiner = getComputedStyle(element, "::after").content.replace(/^"|"$/g, "");
    const translated = words[joiner];
    const component = element.classList[0];
    if (!translated || !component || styled.has(component)) return;
    styled.add(component);
    const style = document.createElement("style");
    // one class, less specific than ReDoc's :last-child rule that leaves the last scheme bare
    style.textContent = `.${CSS.escape(component)}::after { content: ${JSON.stringify(translated)}; }`;
    document.head.append(style);
  }

  // Each replacement is itself a change the observer sees; a translated text matches no English
  // one any more, so it stops there.
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === "childList") mutation.addedNodes.forEach(translateTree);
      else if (mutation.type === "characterData") translateTree(mutation.target);
      else translateElement(mutation.target);
    }
  }).observe(document.body, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });
  translateTree(document.body);
})();
