// Draws the satisfaction charts from the rows the page embeds (json_script), with Chart.js.
(function () {
  function ready(fn) { document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", fn) : fn(); }
  const palette = ["#1f5fbf", "#b3261e", "#1b6b3a", "#b7791f", "#6b3fa0", "#0f7c86", "#c2185b", "#5d4037", "#455a64", "#7cb342"];
  ready(function () {
    const topicData = document.getElementById("topic-chart");
    if (topicData) {
      const chart = JSON.parse(topicData.textContent);
      const options = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
      new Chart(document.getElementById("chart-volume"), {
        type: "bar",
        data: { labels: chart.labels, datasets: chart.topics.map((t, i) => ({ label: t.name, data: t.total, backgroundColor: palette[i % palette.length] })) },
        options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
      });
      new Chart(document.getElementById("chart-negative"), {
        type: "line",
        data: { labels: chart.labels, datasets: chart.topics.map((t, i) => ({ label: t.name, data: t.negative_share, borderColor: palette[i % palette.length] })) },
        options: { ...options, scales: { y: { min: 0, max: 100 } } },
      });
    }
    const brandData = document.getElementById("brand-chart");
    if (brandData) {
      const chart = JSON.parse(brandData.textContent);
      const options = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
      const colour = (i) => palette[i % palette.length];
      new Chart(document.getElementById("chart-voice"), {
        type: "bar",
        data: { labels: chart.labels, datasets: chart.brands.map((b, i) => ({ label: b.name, data: b.share_of_voice, backgroundColor: colour(i) })) },
        options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, min: 0, max: 100 } } },
      });
      const share = (b, key) => { const total = b.negative + b.neutral + b.positive; return total ? (100 * b[key]) / total : null; };
      new Chart(document.getElementById("chart-brand-sentiment"), {
        type: "bar",
        data: { labels: chart.brands.map((b) => b.name), datasets: [
          { label: chart.labels_text.negative, data: chart.brands.map((b) => share(b, "negative")), backgroundColor: "#b3261e" },
          { label: chart.labels_text.neutral, data: chart.brands.map((b) => share(b, "neutral")), backgroundColor: "#9aa2b1" },
          { label: chart.labels_text.positive, data: chart.brands.map((b) => share(b, "positive")), backgroundColor: "#1b6b3a" },
        ] },
        options: { ...options, indexAxis: "y", scales: { x: { stacked: true, min: 0, max: 100 }, y: { stacked: true } } },
      });
      new Chart(document.getElementById("chart-brand-topics"), {
        type: "bar",
        data: { labels: chart.topics, datasets: chart.brands.map((b, i) => ({ label: b.name, data: chart.complaint_rates[i], backgroundColor: colour(i) })) },
        options: { ...options, scales: { y: { beginAtZero: true } } },
      });
      new Chart(document.getElementById("chart-brand-negative"), {
        type: "line",
        data: { labels: chart.labels, datasets: chart.brands.map((b, i) => ({ label: b.name, data: b.negative_share, borderColor: colour(i) })) },
        options: { ...options, scales: { y: { min: 0, max: 100 } } },
      });
      // one small chart per brand; a topic keeps its colour across them
      const topicColour = {};
      chart.topic_mix.forEach((brand) => brand.topics.forEach((t) => { if (!(t.slug in topicColour)) topicColour[t.slug] = colour(Object.keys(topicColour).length); }));
      chart.topic_mix.forEach((brand, i) => {
        const canvas = document.getElementById("chart-topic-mix-" + i);
        if (!canvas) return;
        new Chart(canvas, {
          type: "bar",
          data: { labels: chart.labels, datasets: brand.topics.map((t) => ({ label: t.name, data: t.data, backgroundColor: topicColour[t.slug] })) },
          options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, min: 0, max: 100 } } },
        });
      });
    }
    const contextData = document.getElementById("context-chart");
    if (contextData) {
      const chart = JSON.parse(contextData.textContent);
      const options = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
      new Chart(document.getElementById("chart-context-sentiment"), {
        type: "bar",
        data: { labels: chart.values, datasets: [
          { label: chart.negative_label, data: chart.negative, backgroundColor: "#b3261e" },
          { label: chart.neutral_label, data: chart.neutral, backgroundColor: "#9aa2b1" },
          { label: chart.positive_label, data: chart.positive, backgroundColor: "#1b6b3a" },
        ] },
        options: { ...options, indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
      });
      new Chart(document.getElementById("chart-context-volume"), {
        type: "line",
        data: { labels: chart.labels, datasets: chart.series.map((s, i) => ({ label: s.name, data: s.data, borderColor: palette[i % palette.length] })) },
        options: { ...options, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    const retentionData = document.getElementById("retention-chart");
    if (retentionData) {
      const chart = JSON.parse(retentionData.textContent);
      const options = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
      new Chart(document.getElementById("chart-retention"), {
        type: "line",
        data: { labels: chart.labels, datasets: [{ label: chart.rate_label, data: chart.rates, borderColor: "#1f5fbf", tension: 0.2 }] },
        options: { ...options, scales: { y: { min: 0 } } },
      });
      const defection = document.getElementById("chart-defection");
      if (defection) {
        new Chart(defection, {
          type: "bar",
          data: { labels: chart.defection_labels, datasets: [
            { label: chart.controllable_label, data: chart.controllable, backgroundColor: "#b3261e" },
            { label: chart.uncontrollable_label, data: chart.uncontrollable, backgroundColor: "#9aa2b1" },
          ] },
          options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
        });
      }
      new Chart(document.getElementById("chart-groups"), {
        type: "bar",
        data: { labels: chart.groups, datasets: [{ label: chart.group_label, data: chart.group_rates,
          backgroundColor: ["#1b6b3a", "#9aa2b1", "#b3261e", "#1f5fbf", "#b7791f"] }] },
        options: { ...options, scales: { y: { min: 0, max: 100 } } },
      });
    }
    const serviceData = document.getElementById("service-chart");
    if (serviceData) {
      const chart = JSON.parse(serviceData.textContent);
      new Chart(document.getElementById("chart-sla"), {
        type: "line",
        data: { labels: chart.labels, datasets: [
          { label: chart.first_label, data: chart.first_response_met, borderColor: "#1f5fbf" },
          { label: chart.resolution_label, data: chart.resolution_met, borderColor: "#1b6b3a" },
        ] },
        options: { responsive: true, maintainAspectRatio: false, spanGaps: true, scales: { y: { min: 0, max: 100 } }, plugins: { legend: { position: "bottom" } } },
      });
      new Chart(document.getElementById("chart-cases"), {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ label: chart.cases_label, data: chart.opened, backgroundColor: "#9aa2b1" }] },
        options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } },
      });
    }
    const rowsData = document.getElementById("chart-rows");
    if (!rowsData) return;
    const rows = JSON.parse(rowsData.textContent);
    const text = JSON.parse(document.getElementById("chart-labels").textContent);
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
        { label: text.detractors, data: pick("detractors_share"), backgroundColor: "#b3261e" },
        { label: text.passives, data: pick("passives_share"), backgroundColor: "#9aa2b1" },
        { label: text.promoters, data: pick("promoters_share"), backgroundColor: "#1b6b3a" },
      ] },
      options: { ...base, scales: { x: { stacked: true }, y: { stacked: true, max: 100 } } },
    });
    new Chart(document.getElementById("chart-csat"), {
      type: "line",
      data: { labels, datasets: [
        { label: text.csat, data: pick("csat"), borderColor: "#1b6b3a", yAxisID: "y" },
        { label: text.rating, data: pick("rating"), borderColor: "#b7791f", yAxisID: "y1" },
      ] },
      options: { ...base, scales: { y: { min: 0, max: 100 }, y1: { min: 1, max: 5, position: "right", grid: { drawOnChartArea: false } } } },
    });
    new Chart(document.getElementById("chart-sentiment"), {
      type: "bar",
      data: { labels, datasets: [{ label: text.sentiment, data: pick("sentiment_index"),
        backgroundColor: rows.map((r) => ((r.sentiment_index || 0) >= 0 ? "#1b6b3a" : "#b3261e")) }] },
      options: { ...base, scales: { y: { min: -100, max: 100 } } },
    });
  });
})();
