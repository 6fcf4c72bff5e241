// Every dashboard chart goes through VozCharts.draw: it adds the axis titles the template gave the
// canvas (data-x-title, data-y-title, data-y1-title), writes the chart's numbers into the figure's
// table view, and lets "Download CSV" save exactly those numbers. One copy for every chart.
window.VozCharts = (function () {
  const lang = document.documentElement.lang || undefined;
  // Chart.js writes tick numbers in the browser's locale unless told: the page's language decides
  // (an English page read in a Spanish browser showed "4,5" on its rating axis).
  if (window.Chart && lang) Chart.defaults.locale = lang;
  const isBlank = (value) => value === null || value === undefined || (typeof value === "number" && Number.isNaN(value));
  const shown = (value) => (isBlank(value) ? "–" : typeof value === "number" ? value.toLocaleString(lang, { maximumFractionDigits: 1 }) : String(value));
  const flat = (label) => (Array.isArray(label) ? label.join(" · ") : String(label));

  function addAxisTitles(canvas, config) {
    config.options = config.options || {};
    const scales = (config.options.scales = config.options.scales || {});
    [["x", canvas.dataset.xTitle], ["y", canvas.dataset.yTitle], ["y1", canvas.dataset.y1Title]].forEach(([axis, text]) => {
      if (text) scales[axis] = { ...(scales[axis] || {}), title: { display: true, text } };
    });
  }

  // A header cell without a raw value heads a column; one with a raw value heads its row.
  function cell(tag, text, raw) {
    const node = document.createElement(tag);
    node.textContent = text;
    if (raw !== undefined) node.dataset.csv = isBlank(raw) ? "" : String(raw);
    if (tag === "th") node.scope = raw === undefined ? "col" : "row";
    return node;
  }

  function writeTable(canvas, config) {
    const box = document.querySelector(`[data-chart-table="${canvas.id}"]`);
    if (!box) return;
    const datasets = config.data.datasets.filter((d) => !d.band);
    const horizontal = config.options && config.options.indexAxis === "y";
    const table = document.createElement("table");
    table.className = "cases compact chart-data";
    table.id = canvas.id + "-table";
    const caption = document.createElement("caption");
    caption.className = "visually-hidden";
    caption.textContent = box.dataset.caption || canvas.getAttribute("aria-label");
    table.appendChild(caption);
    const head = document.createElement("tr");
    head.appendChild(cell("th", (horizontal ? canvas.dataset.yTitle : canvas.dataset.xTitle) || ""));
    datasets.forEach((d) => head.appendChild(cell("th", d.label || canvas.dataset.yTitle || "")));
    table.createTHead().appendChild(head);
    const body = table.createTBody();
    (config.data.labels || []).forEach((label, i) => {
      const row = document.createElement("tr");
      row.appendChild(cell("th", flat(label), flat(label)));
      datasets.forEach((d) => row.appendChild(cell("td", shown(d.data[i]), d.data[i])));
      body.appendChild(row);
    });
    box.replaceChildren(table);
  }

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas) return null; // the template said what the chart is waiting for instead
    addAxisTitles(canvas, config);
    writeTable(canvas, config);
    return new Chart(canvas, config);
  }

  // The CSV of any table a button names: the raw figure of a cell (data-csv) when it has one, else its text.
  function toCsv(table) {
    const quote = (text) => (/[",\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    return Array.from(table.rows)
      .map((row) => Array.from(row.cells).map((c) => quote(c.dataset.csv !== undefined ? c.dataset.csv : c.textContent.trim())).join(","))
      .join("\r\n");
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-chart-csv]");
    if (!button) return;
    const table = document.getElementById(button.dataset.chartCsv);
    if (!table) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob(["\ufeff" + toCsv(table) + "\r\n"], { type: "text/csv;charset=utf-8" }));
    link.download = button.dataset.filename || "voz.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });

  return { draw };
})();
