// Draws the dashboards' charts from the rows the page embeds (json_script), with Chart.js.
(function () {
  function ready(fn) { document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", fn) : fn(); }
  const palette = ["#1f5fbf", "#b3261e", "#1b6b3a", "#b7791f", "#6b3fa0", "#0f7c86", "#c2185b", "#5d4037", "#455a64", "#7cb342"];
  // The rows keep ISO dates (as the API and the CSV do); on screen the periods read as the page's
  // dates do: 03/12/2026 in Spanish and in English outside the US (<html lang="en">), 12/03/2026 for
  // a US shop (lang="en-us", set by core.middleware.RegionalFormatsMiddleware).
  const lang = (document.documentElement.lang || "es").toLowerCase();
  const dateLocale = lang === "en-us" ? "en-US" : lang.startsWith("en") ? "en-GB" : "es-ES";
  const isoDay = /^\d{4}-\d{2}-\d{2}$/;
  const formatted = (options) => {
    const format = new Intl.DateTimeFormat(dateLocale, { ...options, timeZone: "UTC" });
    return (labels) => (labels || []).map((s) => (isoDay.test(s) ? format.format(new Date(s + "T00:00:00Z")) : s));
  };
  const days = formatted({ day: "2-digit", month: "2-digit", year: "numeric" });
  const months = formatted({ month: "short", year: "numeric" });
  ready(function () {
    // Someone who asked their system for less motion gets the charts drawn at once.
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      Chart.defaults.animation = false;
    }
    const topicData = document.getElementById("topic-chart");
    if (topicData) {
      const chart = JSON.parse(topicData.textContent);
      // Ranked by volume; a bar's colour is its net sentiment (red negative, green positive), and a
      // topic under the minimum volume is grey, as its row in the table says why.
      const shade = (t) => (t.is_below_minimum ? "#c4c9d2" : t.net_sentiment < -20 ? "#b3261e" : t.net_sentiment > 20 ? "#1b6b3a" : "#7b8494");
      VozCharts.draw("chart-topic-ranking", {
        type: "bar",
        data: {
          labels: chart.topics.map((t) => [t.name, t.detail]),
          datasets: [{ label: chart.dataset, data: chart.topics.map((t) => t.mentions), backgroundColor: chart.topics.map(shade) }],
        },
        options: {
          indexAxis: "y", responsive: true, maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } },
        },
      });
    }
    const brandData = document.getElementById("brand-chart");
    if (brandData) {
      const chart = JSON.parse(brandData.textContent);
      const options = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
      const colour = (i) => palette[i % palette.length];
      VozCharts.draw("chart-voice", {
        type: "bar",
        data: { labels: days(chart.labels), datasets: chart.brands.map((b, i) => ({ label: b.name, data: b.share_of_voice, backgroundColor: colour(i) })) },
        options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, min: 0, max: 100 } } },
      });
      const share = (b, key) => { const total = b.negative + b.neutral + b.positive; return total ? (100 * b[key]) / total : null; };
      VozCharts.draw("chart-brand-sentiment", {
        type: "bar",
        data: { labels: chart.brands.map((b) => b.name), datasets: [
          { label: chart.labels_text.negative, data: chart.brands.map((b) => share(b, "negative")), backgroundColor: "#b3261e" },
          { label: chart.labels_text.neutral, data: chart.brands.map((b) => share(b, "neutral")), backgroundColor: "#9aa2b1" },
          { label: chart.labels_text.positive, data: chart.brands.map((b) => share(b, "positive")), backgroundColor: "#1b6b3a" },
        ] },
        options: { ...options, indexAxis: "y", scales: { x: { stacked: true, min: 0, max: 100 }, y: { stacked: true } } },
      });
      VozCharts.draw("chart-brand-topics", {
        type: "bar",
        data: { labels: chart.topics, datasets: chart.brands.map((b, i) => ({ label: b.name, data: chart.complaint_rates[i], backgroundColor: colour(i) })) },
        options: { ...options, scales: { y: { beginAtZero: true } } },
      });
      VozCharts.draw("chart-brand-negative", {
        type: "line",
        data: { labels: days(chart.labels), datasets: chart.brands.map((b, i) => ({ label: b.name, data: b.negative_share, borderColor: colour(i) })) },
        options: { ...options, scales: { y: { min: 0, max: 100 } } },
      });
      // one small chart per brand; a topic keeps its colour across them
      const topicColour = {};
      chart.topic_mix.forEach((brand) => brand.topics.forEach((t) => { if (!(t.slug in topicColour)) topicColour[t.slug] = colour(Object.keys(topicColour).length); }));
      chart.topic_mix.forEach((brand, i) => {
        const canvas = document.getElementById("chart-topic-mix-" + i);
        if (!canvas) return;
        VozCharts.draw(canvas.id, {
          type: "bar",
          data: { labels: days(chart.labels), datasets: brand.topics.map((t) => ({ label: t.name, data: t.data, backgroundColor: topicColour[t.slug] })) },
          options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, min: 0, max: 100 } } },
        });
      });
    }
    const contextData = document.getElementById("context-chart");
    if (contextData) {
      const chart = JSON.parse(contextData.textContent);
      const options = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
      VozCharts.draw("chart-context-sentiment", {
        type: "bar",
        data: { labels: chart.values, datasets: [
          { label: chart.negative_label, data: chart.negative, backgroundColor: "#b3261e" },
          { label: chart.neutral_label, data: chart.neutral, backgroundColor: "#9aa2b1" },
          { label: chart.positive_label, data: chart.positive, backgroundColor: "#1b6b3a" },
        ] },
        options: { ...options, indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
      });
      VozCharts.draw("chart-context-volume", {
        type: "line",
        data: { labels: days(chart.labels), datasets: chart.series.map((s, i) => ({ label: s.name, data: s.data, borderColor: palette[i % palette.length] })) },
        options: { ...options, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    const retentionData = document.getElementById("retention-chart");
    if (retentionData) {
      const chart = JSON.parse(retentionData.textContent);
      const options = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
      // The current month is still being counted: a hollow point, a dashed line to it, and the
      // word "partial" in its tooltip, so a low figure is not read as a fall.
      const partial = (i) => Boolean(chart.partial[i]);
      VozCharts.draw("chart-retention", {
        type: "line",
        data: { labels: months(chart.labels), datasets: [{
          label: chart.rate_label, data: chart.rates, borderColor: "#1f5fbf", backgroundColor: "#1f5fbf", tension: 0.2, cubicInterpolationMode: "monotone",
          pointBackgroundColor: chart.partial.map((p) => (p ? "#fff" : "#1f5fbf")),
          pointRadius: chart.partial.map((p) => (p ? 5 : 3)),
          segment: { borderDash: (ctx) => (partial(ctx.p1DataIndex) ? [6, 4] : undefined) },
        }] },
        options: { ...options, scales: { y: { min: 0 } }, plugins: { ...options.plugins, tooltip: { callbacks: {
          afterLabel: (ctx) => [chart.base_label + ": " + chart.bases[ctx.dataIndex], partial(ctx.dataIndex) ? chart.partial_label : ""].filter(Boolean),
        } } } },
      });
      const defection = document.getElementById("chart-defection");
      if (defection) {
        VozCharts.draw(defection.id, {
          type: "bar",
          data: { labels: months(chart.defection_labels), datasets: [
            { label: chart.controllable_label, data: chart.controllable, backgroundColor: "#b3261e" },
            { label: chart.uncontrollable_label, data: chart.uncontrollable, backgroundColor: "#9aa2b1" },
          ] },
          options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
        });
      }
      VozCharts.draw("chart-groups", {
        type: "bar",
        data: { labels: chart.groups, datasets: [{ label: chart.group_label, data: chart.group_rates,
          backgroundColor: ["#1b6b3a", "#9aa2b1", "#b3261e", "#1f5fbf", "#b7791f"] }] },
        options: { ...options, scales: { y: { min: 0, max: 100 } }, plugins: { ...options.plugins, tooltip: { callbacks: {
          afterLabel: (ctx) => chart.group_customers[ctx.dataIndex] + " " + chart.customers_label,
        } } } },
      });
    }
    const serviceData = document.getElementById("service-chart");
    if (serviceData) {
      const chart = JSON.parse(serviceData.textContent);
      VozCharts.draw("chart-sla", {
        type: "line",
        data: { labels: days(chart.labels), datasets: [
          { label: chart.first_label, data: chart.first_response_met, borderColor: "#1f5fbf" },
          { label: chart.resolution_label, data: chart.resolution_met, borderColor: "#1b6b3a" },
        ] },
        options: { responsive: true, maintainAspectRatio: false, spanGaps: true, scales: { y: { min: 0, max: 100 } }, plugins: { legend: { position: "bottom" } } },
      });
      VozCharts.draw("chart-cases", {
        type: "bar",
        data: { labels: days(chart.labels), datasets: [{ label: chart.cases_label, data: chart.opened, backgroundColor: "#9aa2b1" }] },
        options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } },
      });
    }
    const rowsData = document.getElementById("chart-rows");
    if (!rowsData) return;
    const rows = JSON.parse(rowsData.textContent);
    const text = JSON.parse(document.getElementById("chart-labels").textContent);
    const labels = days(rows.map((r) => r.period));
    const pick = (key) => rows.map((r) => (r[key] === null || r[key] === undefined ? null : r[key]));
    // A figure's 95 % band: two invisible lines with the area between them filled. Gaps are never
    // bridged, so a period with too few answers shows no band rather than an invented one.
    const band = (intervalKey, colour, axis) => [
      { label: "low", band: true, data: rows.map((r) => (r[intervalKey] ? r[intervalKey][0] : null)), borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: false, spanGaps: false, yAxisID: axis },
      { label: "high", band: true, data: rows.map((r) => (r[intervalKey] ? r[intervalKey][1] : null)), borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: "-1", spanGaps: false, backgroundColor: colour, yAxisID: axis },
    ];
    const figure = (label, key, name, colour, axis, digits) => ({ label, data: pick(key), borderColor: colour, backgroundColor: colour, tension: 0.2, cubicInterpolationMode: "monotone", yAxisID: axis, interval: name, digits });
    const fixed = (value, digits) => value.toLocaleString(document.documentElement.lang || undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    const bandOptions = {
      legend: { position: "bottom", labels: { filter: (item, data) => !data.datasets[item.datasetIndex].band } },
      tooltip: {
        filter: (item) => !item.dataset.band,
        callbacks: {
          afterLabel: (ctx) => {
            const name = ctx.dataset.interval;
            if (!name) return "";
            const row = rows[ctx.dataIndex];
            const interval = row[name + "_interval"];
            if (interval) return text.interval + ": " + fixed(interval[0], ctx.dataset.digits) + " – " + fixed(interval[1], ctx.dataset.digits);
            return row[name + "_note"] || "";
          },
        },
      },
    };
    const base = { responsive: true, maintainAspectRatio: false, spanGaps: true, plugins: { legend: { position: "bottom" } } };
    VozCharts.draw("chart-nps", {
      type: "line",
      data: { labels, datasets: [...band("nps_interval", "rgba(31,95,191,0.15)", "y"), figure("NPS", "nps", "nps", "#1f5fbf", "y", 0)] },
      options: { ...base, scales: { y: { min: -100, max: 100 } }, plugins: bandOptions },
    });
    VozCharts.draw("chart-shares", {
      type: "bar",
      data: { labels, datasets: [
        { label: text.detractors, data: pick("detractors_share"), backgroundColor: "#b3261e" },
        { label: text.passives, data: pick("passives_share"), backgroundColor: "#9aa2b1" },
        { label: text.promoters, data: pick("promoters_share"), backgroundColor: "#1b6b3a" },
      ] },
      options: { ...base, scales: { x: { stacked: true }, y: { stacked: true, max: 100 } } },
    });
    VozCharts.draw("chart-csat", {
      type: "line",
      data: { labels, datasets: [
        ...band("csat_interval", "rgba(27,107,58,0.13)", "y"),
        figure(text.csat, "csat", "csat", "#1b6b3a", "y", 0),
        ...band("rating_interval", "rgba(183,121,31,0.15)", "y1"),
        figure(text.rating, "rating", "rating", "#b7791f", "y1", 2),
      ] },
      options: { ...base, plugins: bandOptions, scales: { y: { min: 0, max: 100 }, y1: { min: 1, max: 5, position: "right", grid: { drawOnChartArea: false } } } },
    });
    const cesCanvas = document.getElementById("chart-ces");
    if (cesCanvas) VozCharts.draw(cesCanvas.id, {
      type: "line",
      data: { labels, datasets: [...band("ces_interval", "rgba(107,63,160,0.15)", "y"), figure(text.ces, "ces", "ces", "#6b3fa0", "y", 2)] },
      options: { ...base, plugins: bandOptions, scales: { y: { min: 1, max: 7 } } },
    });
    VozCharts.draw("chart-sentiment", {
      type: "line",
      data: { labels, datasets: [...band("sentiment_interval", "rgba(15,124,134,0.15)", "y"), figure(text.sentiment, "sentiment_index", "sentiment", "#0f7c86", "y", 0)] },
      options: { ...base, plugins: bandOptions, scales: { y: { min: -100, max: 100 } } },
    });
  });
})();
