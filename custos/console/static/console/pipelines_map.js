// The pipelines map (Leaflet, console/package.json): the organization's routes, segments coloured and
// dashed by risk, findings as circles with their affected areas, from the page's GeoJSON
// (#pipeline-map-data, written by the server from the same selectors as the tables). No tile server
// is contacted: the map draws the vectors on a plain background (air-gapped sites, no third party
// learns where the pipelines are); data-tiles on the map element names a tile URL when one is wanted.
(function () {
  "use strict";
  var node = document.getElementById("pipeline-map");
  var source = document.getElementById("pipeline-map-data");
  if (!node || !source || !window.L) return;
  var data = JSON.parse(source.textContent);
  var RISK = { low: "#1b7f3b", medium: "#9a6700", high: "#c2410c", critical: "#b42318" };
  node.textContent = "";
  var map = window.L.map(node, { preferCanvas: false, attributionControl: false });
  var tiles = node.getAttribute("data-tiles");
  if (tiles) window.L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
  function tip(layer, text) { layer.bindTooltip(text); layer.bindPopup(text); }
  var layers = [
    window.L.geoJSON(data.routes, {
      style: function () { return { color: "#2452a8", weight: 5, className: "route" }; },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        tip(layer, p.name + " (" + p.status + ", health " + p.health + ")");
      },
    }),
    window.L.geoJSON(data.segments, {
      style: function (feature) {
        var risk = feature.properties.risk;
        return { color: RISK[risk] || "#5b6470", weight: 3, dashArray: risk === "high" || risk === "critical" ? "6 4" : null,
                 className: "segment risk-" + risk };
      },
      onEachFeature: function (feature, layer) { tip(layer, feature.properties.name + ": risk " + feature.properties.risk); },
    }),
    window.L.geoJSON(data.areas, {
      style: function (feature) {
        return { color: RISK[feature.properties.severity] || "#5b6470", weight: 1, fillOpacity: 0.25, className: "finding-area" };
      },
      onEachFeature: function (feature, layer) { tip(layer, feature.properties.name + " · " + feature.properties.status); },
    }),
    window.L.geoJSON(data.findings, {
      pointToLayer: function (feature, latlng) {
        return window.L.circleMarker(latlng, {
          radius: 7, color: "#1d2430", weight: 2, fillColor: RISK[feature.properties.severity] || "#5b6470",
          fillOpacity: 0.9, className: "finding-marker",
        });
      },
      onEachFeature: function (feature, layer) {
        tip(layer, feature.properties.name + " · " + feature.properties.status);
        layer.on("click", function () {
          var row = document.getElementById("finding-" + feature.properties.id);
          if (row) row.scrollIntoView({ block: "center" });
        });
      },
    }),
  ];
  var group = window.L.featureGroup(layers).addTo(map);
  var bounds = group.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([0, 0], 2);
  node.setAttribute("data-drawn", String(data.routes.features.length));
})();
