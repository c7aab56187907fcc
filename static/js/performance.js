// The performance chart: draws the period embedded in the page (no request needed for the first
// draw), then redraws from /api/chart/?period= when a period is chosen. Without JavaScript the
// period links reload the page, which states the result in words and shows the statistics table.
(function () {
  "use strict";

  var canvas = document.getElementById("performance-chart");
  if (!canvas || !window.Chart) return;

  var TITAN_COLOR = "#0b5cad";
  var SP500_COLOR = "#8a94a6";
  // Beyond this ratio between the highest and lowest value a linear axis flattens the early years.
  var LOG_SCALE_RATIO = 10;
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var segments = document.querySelectorAll("[data-period]:not(canvas)");
  var growth = document.querySelector("[data-growth]");
  var scaleNote = document.querySelector("[data-scale-note]");

  var monthYear = new Intl.DateTimeFormat("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
  var dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
  var compactDollars = new Intl.NumberFormat("en-US", {
    style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 1
  });

  function dateLabel(seconds) {
    return monthYear.format(new Date(seconds * 1000));
  }

  function scaleType(data) {
    var values = data.titan.concat(data.sp500);
    if (!values.length) return "linear";
    return Math.max.apply(null, values) / Math.min.apply(null, values) > LOG_SCALE_RATIO ? "logarithmic" : "linear";
  }

  function describe(data) {
    if (!data.labels.length) return "No market data is loaded yet.";
    var last = data.labels.length - 1;
    return "From " + dateLabel(data.labels[0]) + " to " + dateLabel(data.labels[last]) + ", $10,000 became " +
      dollars.format(data.titan[last]) + " in the Titan model and " + dollars.format(data.sp500[last]) +
      " in the S&P 500.";
  }

  function dataset(label, values, color, width) {
    return {
      label: label, data: values, borderColor: color, backgroundColor: color,
      borderWidth: width, pointRadius: 0, pointHoverRadius: 4, tension: 0.15
    };
  }

  window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.font.size = 13;
  window.Chart.defaults.color = "#4a5568";

  var chart = new window.Chart(canvas, {
    type: "line",
    data: { labels: [], datasets: [dataset("Titan model (demo)", [], TITAN_COLOR, 2.5), dataset("S&P 500", [], SP500_COLOR, 2)] },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 350 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: function (item) { return item.dataset.label + ": " + dollars.format(item.parsed.y); }
          }
        }
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxTicksLimit: 7, maxRotation: 0, autoSkipPadding: 24 } },
        y: {
          type: "linear",
          grid: { color: "#e6eaf0" },
          ticks: { maxTicksLimit: 6, callback: function (value) { return compactDollars.format(value); } }
        }
      }
    }
  });

  function draw(period, data) {
    chart.data.labels = data.labels.map(dateLabel);
    chart.data.datasets[0].data = data.titan;
    chart.data.datasets[1].data = data.sp500;
    chart.options.scales.y.type = scaleType(data);
    chart.update();
    scaleNote.hidden = chart.options.scales.y.type !== "logarithmic";
    growth.textContent = describe(data);
    // What was drawn, for people reading the DOM (and for the browser tests).
    canvas.setAttribute("data-period", period);
    canvas.setAttribute("data-points", String(data.labels.length));
    segments.forEach(function (segment) {
      if (segment.getAttribute("data-period") === period) {
        segment.setAttribute("aria-current", "true");
      } else {
        segment.removeAttribute("aria-current");
      }
    });
  }

  function load(period) {
    canvas.setAttribute("aria-busy", "true");
    return fetch(canvas.getAttribute("data-chart-url") + "?period=" + encodeURIComponent(period), {
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error("chart request failed: " + response.status);
        return response.json();
      })
      .then(function (data) {
        draw(period, data);
        window.history.replaceState(null, "", "?period=" + encodeURIComponent(period));
      })
      .finally(function () { canvas.removeAttribute("aria-busy"); });
  }

  segments.forEach(function (segment) {
    segment.addEventListener("click", function (event) {
      event.preventDefault();
      var period = segment.getAttribute("data-period");
      // If the request fails, follow the link: the server renders that period.
      load(period).catch(function () { window.location.href = segment.href; });
    });
  });

  document.querySelector("[data-chart-fallback]").hidden = true;
  draw(canvas.getAttribute("data-period"), JSON.parse(canvas.getAttribute("data-initial")));
})();
