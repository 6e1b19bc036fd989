// The quality page: live graded samples over /ws/realtime/ and the Cp/Cpk and ΔE charts (Chart.js,
// console/package.json). Without this script, or without Chart.js, the page shows the same figures as
// tables; without a socket it shows the samples of the last page load.
//
// Live: the page asks the console for a short-lived access token (data-live-token-url on <body>, again
// on every reconnection), opens /ws/realtime/?token=…, subscribes (notes.md "sqal (004)") and asks for
// the latest samples once subscribed (the ones stored while it was away). A sensor_update carries a
// sample id; the page asks the console for the rows of the announced samples (data-rows-url), which
// answers only those of the console's organization, and prepends them to the table (at most data-keep
// rows kept). The stream itself may carry the user's other organizations: the server decides what shows.
(function () {
  "use strict";
  var body = document.body;

  // --- charts -------------------------------------------------------------------------------------
  function charts() {
    var source = document.getElementById("quality-chart-data");
    if (!source || typeof window.Chart !== "function") return;
    var data = JSON.parse(source.textContent);
    var common = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
    };
    function flat(value, count) { var out = []; for (var i = 0; i < count; i++) out.push(value); return out; }
    // A horizontal limit line across ``count`` points (a dashed line, and a marker when there is one point).
    function limit(label, value, count, colour, dash) {
      return { label: label, data: flat(value, count), borderColor: colour, backgroundColor: colour, borderDash: dash, pointStyle: "line", pointRadius: count === 1 ? 8 : 0 };
    }
    // Draw a line chart on the canvas ``id`` (if the page has it) and mark it drawn with its point count.
    function draw(id, labels, datasets, title) {
      var canvas = document.getElementById(id);
      if (!canvas) return;
      new window.Chart(canvas, {
        type: "line",
        data: { labels: labels, datasets: datasets },
        options: Object.assign({}, common, { scales: { y: { beginAtZero: true, title: { display: true, text: title } } } }),
      });
      canvas.setAttribute("data-drawn", String(labels.length));
    }
    var cap = data.capability, n = cap.labels.length;
    draw("capability-chart", cap.labels, [
      { label: "Cp", data: cap.cp, borderColor: "#2452a8", backgroundColor: "#2452a8", pointStyle: "circle", spanGaps: true },
      { label: "Cpk", data: cap.cpk, borderColor: "#9a6700", backgroundColor: "#9a6700", borderDash: [6, 3], pointStyle: "rectRot", pointRadius: 4, spanGaps: true },
      limit("Capable (" + cap.capable + ")", cap.capable, n, "#1b7f3b", [2, 2]),
      limit("Alert (" + cap.alert + ")", cap.alert, n, "#b42318", [10, 4]),
    ], "index");
    var de = data.delta_e, m = de.labels.length;
    draw("delta-e-chart", de.labels, [
      { label: "ΔE", data: de.values, borderColor: "#2452a8", backgroundColor: "#2452a8", pointRadius: 2 },
      limit("Alert above " + de.limit, de.limit, m, "#b42318", [10, 4]),
    ], "ΔE");
  }
  charts();

  // --- live samples -------------------------------------------------------------------------------
  var table = document.getElementById("latest-samples");
  var tokenUrl = body.getAttribute("data-live-token-url");
  if (!table || !tokenUrl || typeof window.WebSocket !== "function" || typeof window.fetch !== "function") return;
  var tbody = table.tBodies[0];
  var rowsUrl = table.getAttribute("data-rows-url");
  var keep = parseInt(table.getAttribute("data-keep"), 10) || 50;
  var RETRY_MS = 5000;
  var BATCH = 50;
  var waiting = [];
  var timer = null;

  function label(text) {
    document.querySelectorAll("[data-quality-label]").forEach(function (node) { node.textContent = text; });
  }

  function moment(row) { return Number(row.getAttribute("data-t")) || 0; }

  // Each new row goes above the first older one, so rows stay newest first whatever order they come in.
  function prepend(html) {
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    Array.prototype.slice.call(holder.rows).forEach(function (row) {
      if (document.getElementById(row.id)) return;
      var empty = tbody.querySelector("tr.empty-row");
      if (empty) empty.remove();
      var older = Array.prototype.find.call(tbody.rows, function (other) { return moment(other) < moment(row); });
      tbody.insertBefore(row, older || null);
    });
    while (tbody.rows.length > keep) tbody.deleteRow(tbody.rows.length - 1);
  }

  function flush() {
    timer = null;
    while (waiting.length) {
      var ids = waiting.splice(0, BATCH);
      fetch(rowsUrl + "?ids=" + encodeURIComponent(ids.join(",")), {
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      }).then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      }).then(function (html) { if (html) prepend(html); }).catch(function () {});
    }
  }

  function announce(id) {
    if (!id || document.getElementById("sample-" + id) || waiting.indexOf(id) >= 0) return;
    waiting.push(id);
    if (!timer) timer = setTimeout(flush, 150);
  }

  function offline(reason) {
    delete table.dataset.live;
    label("Updates: " + reason);
  }

  function connect() {
    fetch(tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .catch(function () { return {}; })
      .then(function (answer) {
        if (!answer.token) { offline("live updates unavailable"); setTimeout(connect, RETRY_MS); return; }
        var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        var path = table.getAttribute("data-realtime-path");
        var socket = new WebSocket(scheme + window.location.host + path + "?token=" + encodeURIComponent(answer.token));
        socket.onmessage = function (event) {
          var message;
          try { message = JSON.parse(event.data); } catch (error) { return; }
          if (message.type === "connection_established") {
            socket.send(JSON.stringify({ command: "subscribe", device_ids: [], grades: [], min_score: null }));
          } else if (message.type === "subscription_updated") {
            table.dataset.live = "on";
            label("Updates: live");
            socket.send(JSON.stringify({ command: "get_latest", limit: 10 }));
          } else if (message.type === "sensor_update") {
            announce(message.id);
          } else if (message.type === "latest") {
            (message.samples || []).slice().reverse().forEach(function (sample) { announce(sample.id); });
          }
        };
        socket.onclose = function () {
          offline("reconnecting");
          setTimeout(connect, RETRY_MS);
        };
      });
  }
  connect();
})();
