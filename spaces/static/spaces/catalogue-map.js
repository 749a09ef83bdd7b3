// Map of the catalogue's sites. The list beside it carries the same information,
// so the map is an addition for sighted users, never the only way in.
(function () {
  "use strict";
  var container = document.getElementById("map");
  var dataNode = document.getElementById("map-points");
  if (!container || !dataNode || typeof L === "undefined") {
    return;
  }
  var points = JSON.parse(dataNode.textContent);
  if (!points.length) {
    container.hidden = true;
    return;
  }
  var map = L.map(container, { scrollWheelZoom: false });
  var tileUrl = container.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 19, attribution: container.dataset.tileAttribution }).addTo(map);
  }
  var bounds = [];
  points.forEach(function (point) {
    var marker = L.marker([point.lat, point.lng], { title: point.name, alt: point.name }).addTo(map);
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.name + " (" + point.commune + ")";
    marker.bindPopup(link);
    bounds.push([point.lat, point.lng]);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
})();
