// Identify: a click asks /api/v1/identify for every visible layer's
// features at that point and shows them with their Chinese field labels;
// the features found are highlighted (feature-state hl by tile feature id).
import { api, el, fmt } from './api.js';
import { ensureHighlight } from './main.js';

export function setupIdentify(ctx) {
  const { map, maplibregl, visible } = ctx;
  let lit = [];
  let popup = null;
  ctx.clearHighlight = () => {
    for (const f of lit) map.setFeatureState(f, { hl: false });
    lit = [];
  };
  ctx.highlight = (layer, id, key = 'hl') => {
    if (!map.getSource(layer)) return;
    ensureHighlight(map, layer);
    const f = { source: layer, sourceLayer: layer, id };
    map.setFeatureState(f, { [key]: true });
    if (key === 'hl') lit.push(f);
  };
  ctx.identifyAt = async (lngLat) => {
    const layers = [...visible].filter((id) => id !== 'basemap' && map.getSource(id));
    if (!layers.length) return;
    const q = new URLSearchParams({ lon: lngLat.lng.toFixed(7), lat: lngLat.lat.toFixed(7), layers: layers.join(',') });
    const ans = await api(`/api/v1/identify?${q}`);
    ctx.clearHighlight();
    const body = el('div', { class: 'identify' });
    let n = 0;
    // Top layers first (parcels before the admin areas around them).
    for (const r of ans.results.slice().reverse()) {
      if (!r.features.length) continue;
      const labels = new Map(r.fields.map((f) => [f.name, f.label]));
      for (const f of r.features) {
        n++;
        if (r.layer !== 'xzq' || r.features.length === 1 || f === r.features[r.features.length - 1]) ctx.highlight(r.layer, f.id);
        const rows = Object.entries(f.properties || {}).map(([k, v]) =>
          el('tr', {}, el('th', {}, labels.get(k) || k), el('td', {}, typeof v === 'number' && !Number.isInteger(v) ? fmt(v) : String(v ?? ''))));
        body.append(el('section', { 'data-layer': r.layer },
          el('h3', {}, `${r.name}`, el('small', {}, ` #${f.id}`)),
          el('table', {}, rows)));
      }
    }
    if (!n) body.append(el('p', {}, '此处没有可见图层的要素'));
    if (popup) popup.remove();
    popup = new maplibregl.Popup({ maxWidth: '340px', className: 'identify-popup' }).setLngLat(lngLat).setDOMContent(body).addTo(map);
    popup.on('close', () => ctx.clearHighlight());
  };
  map.on('click', (e) => {
    if (ctx.drawing && ctx.drawing()) return;
    ctx.identifyAt(e.lngLat).catch((err) => console.warn('识别失败', err.message));
  });
}
