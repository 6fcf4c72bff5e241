// Draws the satisfaction charts from the rows the page embeds (json_script), with Chart.js.
(function () {
  function ready(fn) { document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", fn) : fn(); }
  ready(function () {
    const rows = JSON.parse(document.getElementById("chart-rows").textContent);
    const labels = rows.map((r) => r.period);
    const pick = (key) => rows.map((r) => (r[key] === null || r[key] === undefined ? null : r[key]));
    const base = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
    new Chart(document.getElementById("chart-nps"), {
      type: "line",
      data: { labels, datasets: [
        { label: "95 % low", data: rows.map((r) => (r.nps_interval ? r.nps_interval[0] : null)), borderWidth: 0, pointRadius: 0, fill: false },
        { label: "95 % high", data: rows.map((r) => (r.nps_interval ? r.nps_interval[1] : null)), borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: "rgba(31,95,191,0.15)" },
        { label: "NPS", data: pick("nps"), borderColor: "#1f5fbf", backgroundColor: "#1f5fbf", tension: 0.2 },
      ] },
      options: { ...base, scales: { y: { min: -100, max: 100 } }, plugins: { legend: { labels: { filter: (item) => item.text === "NPS" }, position: "bottom" } } },
    });
    new Chart(document.getElementById("chart-shares"), {
      type: "bar",
      data: { labels, datasets: [
        { label: "Detractors", data: pick("detractors_share"), backgroundColor: "#b3261e" },
        { label: "Passives", data: pick("passives_share"), backgroundColor: "#9aa2b1" },
        { label: "Promoters", data: pick("promoters_share"), backgroundColor: "#1b6b3a" },
      ] },
      options: { ...base, scales: { x: { stacked: true }, y: { stacked: true, max: 100 } } },
    });
    new Chart(document.getElementById("chart-csat"), {
      type: "line",
      data: { labels, datasets: [
        { label: "CSAT %", data: pick("csat"), borderColor: "#1b6b3a", yAxisID: "y" },
        { label: "★", data: pick("rating"), borderColor: "#b7791f", yAxisID: "y1" },
      ] },
      options: { ...base, scales: { y: { min: 0, max: 100 }, y1: { min: 1, max: 5, position: "right", grid: { drawOnChartArea: false } } } },
    });
    new Chart(document.getElementById("chart-sentiment"), {
      type: "bar",
      data: { labels, datasets: [{ label: "Sentiment index", data: pick("sentiment_index"),
        backgroundColor: rows.map((r) => ((r.sentiment_index || 0) >= 0 ? "#1b6b3a" : "#b3261e")) }] },
      options: { ...base, scales: { y: { min: -100, max: 100 } } },
    });
  });
})();
