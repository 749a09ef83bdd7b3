// The observatory's charts (Chart.js, vendored): each <canvas data-chart="ID"> draws the JSON
// of <script id="ID" type="application/json"> (json_script). The table under each chart holds
// the same figures, so the page says everything without JavaScript and to screen readers.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  var style = getComputedStyle(document.documentElement);
  var colours = [style.getPropertyValue("--primary").trim() || "#1d3b6f", "#8a4b00", "#1e6b34"];
  var dashes = [[], [6, 4], [2, 3]]; // not colour alone: the previous period is dashed
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var unit = spec.unit ? " " + spec.unit : "";
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          var colour = colours[index % colours.length];
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: index ? "transparent" : colour,
            borderColor: colour,
            borderWidth: 2,
            borderDash: dashes[index % dashes.length],
          };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        locale: document.documentElement.lang || "fr",
        scales: { y: { beginAtZero: true, ticks: { callback: function (value) { return value + unit; } } } },
        plugins: {
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + " : " + item.formattedValue + unit; } } },
        },
      },
    });
  });
})();
