
(function () {
  var D = JSON.parse(document.getElementById('fo-map-data').textContent);
  var T = D.text, el = document.getElementById('fo-map');
  var map = L.map(el, {preferCanvas: false, zoomSnap: 0.25});
  map.attributionControl.setPrefix('Leaflet');
  var svc = {}; D.services.forEach(function (s) { svc[s.id] = s.name; });
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; }); }
  function names(ids) { return ids.map(function (s) { return svc[s] || s; }).join(D.lang === 'ja' ? '、' : ', ') || '-'; }
  function inYear(f, y) { return f.segments.filter(function (s) { return s[1] <= y && y <= s[2]; })
                                  .map(function (s) { return s[0]; }); }
  var overlays = {};
  var boundary = L.geoJSON(D.boundary, {style: {color: '#333', weight: 2, fill: false}, interactive: false}).addTo(map);
  overlays[T.imap_boundary] = boundary;
  var zones = L.layerGroup();
  function zoneColour(c) { return c >= 0.9999 ? '#4caf50' : c >= 0.95 ? '#cddc39' : c >= 0.8 ? '#ff9800' : '#e53935'; }
  function coveredIn(z, y) {  // share within the standards in year y (worst service); the last year by default
    var worst = 0; z.gaps.forEach(function (g) { if (g[0] <= y && y <= g[1]) worst = Math.max(worst, g[2]); });
    return 1 - worst;
  }
  var zoneMarks = D.zones.map(function (z) {
    return {z: z, m: L.circleMarker([z.lat, z.lon], {radius: Math.max(2, Math.sqrt(z.pop) / 12), stroke: false,
                                                     fillOpacity: 0.45, className: 'fo-zone'}).addTo(zones)};
  });
  function shadeZones(y) {
    zoneMarks.forEach(function (o) {
      var c = coveredIn(o.z, y);
      o.m.setStyle({fillColor: zoneColour(c)});
      o.m.bindPopup('<b>' + esc(o.z.name) + '</b><br>' + esc(T.pop_population) + ': ' + o.z.pop.toLocaleString()
                    + '<br>' + esc(T.pop_covered) + ' (' + y + '): ' + (100 * c).toFixed(1) + ' %<br>'
                    + esc(T.pop_worst) + ': ' + (100 * o.z.worst).toFixed(1) + ' %');
    });
  }
  zones.addTo(map); overlays[T.imap_zones] = zones;
  var stations = L.layerGroup();
  D.stations.forEach(function (s) {
    L.circleMarker([s.lat, s.lon], {radius: 4, color: '#000', weight: 1, fillColor: s.opening ? '#fff' : '#000',
                                    fillOpacity: 1, className: 'fo-station'})
      .bindTooltip(esc(s.name) + (s.opening ? ' (' + s.opening + ')' : '')).addTo(stations);
  });
  stations.addTo(map); overlays[T.imap_stations] = stations;
  var groups = {}, markers = [];
  D.decisions.forEach(function (d) {
    var n = D.facilities.filter(function (f) { return f.decision === d.id; }).length;
    groups[d.id] = L.layerGroup().addTo(map);
    overlays['<span class="fo-swatch" style="background:' + d.colour + '"></span>' + esc(d.label) + ' (' + n + ')'] = groups[d.id];
  });
  var colour = {}, label = {}; D.decisions.forEach(function (d) { colour[d.id] = d.colour; label[d.id] = d.label; });
  function popup(f, y) {
    var rows = [[T.pop_decision, label[f.decision] + (f.year ? ' (' + T.pop_year + ' ' + f.year + ')' : '')],
                [T.pop_services_before, names(f.before)], [T.pop_services_after, names(f.after)]];
    if (y) rows.push([T.pop_services_in + ' ' + y, names(inYear(f, y))]);
    rows.push([T.pop_floor, Math.round(f.floor[0]).toLocaleString() + ' → ' + Math.round(f.floor[1]).toLocaleString() + ' m²']);
    if (f.summary) rows.push([T.pop_summary, f.summary]);
    rows.push([T.pop_reason, f.reason]);
    if (f.imputed) rows.push([T.pop_imputed, f.imputed]);
    return '<div class="fo-popup"><b>' + esc(f.name) + '</b> <small>' + esc(f.id) + '</small><table>'
      + rows.map(function (r) { return '<tr><th>' + esc(r[0]) + '</th><td>' + esc(r[1]) + '</td></tr>'; }).join('')
      + '</table></div>';
  }
  D.facilities.forEach(function (f) {
    var big = f.decision !== 'keep' && f.decision !== 'rebuild';
    var m = L.circleMarker([f.lat, f.lon], {radius: big ? 7 : 5, color: '#fff', weight: 1, fillColor: colour[f.decision],
                                            fillOpacity: 0.95, className: 'fo-fac fo-d-' + f.decision});
    m.bindPopup(popup(f, null), {maxWidth: 420});
    m.bindTooltip(esc(f.name) + ': ' + esc(label[f.decision]));
    markers.push({f: f, m: m});
  });
  var tiles = L.tileLayer(D.tiles[0], {attribution: D.tiles[1], maxZoom: 19});
  overlays['<span class="fo-online">' + esc(T.imap_tiles) + '</span>'] = tiles;
  L.control.layers(null, overlays, {collapsed: false, position: 'topright'}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  var yearSel = document.getElementById('fo-year'), boxes = document.querySelectorAll('#fo-services input');
  function visible(f, y, on) {
    var ids = y ? inYear(f, y) : f.before.concat(f.after);
    if (y) {
      if ((f.decision === 'close' || f.decision === 'convert') && f.year && y >= f.year && !ids.length) return false;
      if (f.decision === 'new' && f.year && y < f.year) return false;
      if (f.decision === 'not_built') return false;
    }
    if (!ids.length) return !y;
    return ids.some(function (s) { return on[s]; });
  }
  function refresh() {
    var y = yearSel.value ? parseInt(yearSel.value, 10) : null, on = {}, shown = 0;
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    markers.forEach(function (o) {
      var g = groups[o.f.decision], show = visible(o.f, y, on);
      if (show && !g.hasLayer(o.m)) g.addLayer(o.m);
      if (!show && g.hasLayer(o.m)) g.removeLayer(o.m);
      if (show) { shown++; o.m.setPopupContent(popup(o.f, y)); }
    });
    shadeZones(y || D.end);
    el.setAttribute('data-shown', String(shown));
  }
  yearSel.addEventListener('change', refresh);
  boxes.forEach(function (b) { b.addEventListener('change', refresh); });
  map.fitBounds(boundary.getBounds(), {padding: [10, 10]});
  var asked = /year=(\d{4})/.exec(location.hash);  // report.html#year=2030 opens on that year
  if (asked && yearSel.querySelector('option[value="' + asked[1] + '"]')) yearSel.value = asked[1];
  refresh();
  el.setAttribute('data-ready', '1');
})();
