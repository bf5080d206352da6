// Draw and analyse: a polygon drawn on the map (terra-draw), pasted as
// GeoJSON or WKT, or uploaded as a GeoJSON file or a construction-land
// coordinate text file goes to the overlay analysis (压盖分析) and the
// compliance review (合规审查); the report shows areas in 亩, 公顷 and m²,
// the features hit are highlighted, and the report exports as CSV.
import { TerraDraw, TerraDrawPolygonMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { api, el, fmt, boundsOf, fetchRetry } from './api.js';
import { ensureHighlight } from './main.js';

/** The layers the overlay report covers: land use, then the controls. */
const OVERLAY_LAYERS = ['dltb', 'yjjbnt', 'stbhhx', 'czkfbj', 'tdytq', 'jsydsp', 'tdgy', 'ckq', 'tkq', 'dzzhyfq'];
const CONTROL_NAMES = { yjjbnt: '永久基本农田', stbhhx: '生态保护红线', outside_czkfbj: '城镇开发边界外', dzzhyfq_high: '地质灾害高易发区', ckq: '采矿权', tkq: '探矿权' };

export function setupAnalysis(ctx) {
  const { map, cat } = ctx;
  const readable = new Set(cat.layers.filter((l) => map.getSource(l.id)).map((l) => l.id));
  const layers = OVERLAY_LAYERS.filter((id) => readable.has(id));
  const report = document.getElementById('report');
  let hits = [];
  let draw = null;
  let drawingOn = false;
  ctx.drawing = () => drawingOn;

  map.addSource('site', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'site-fill', type: 'fill', source: 'site', paint: { 'fill-color': '#d6249f', 'fill-opacity': 0.12 } });
  map.addLayer({ id: 'site-line', type: 'line', source: 'site', paint: { 'line-color': '#d6249f', 'line-width': 2, 'line-dasharray': [2, 1] } });

  const clearHits = () => {
    for (const f of hits) map.setFeatureState(f, { hit: false });
    hits = [];
  };
  const clear = () => {
    clearHits();
    map.getSource('site').setData({ type: 'FeatureCollection', features: [] });
    if (draw) draw.clear();
    report.replaceChildren();
  };

  // request is what the analyses are asked: a JSON body with the site, or
  // a coordinate text file posted as text/plain with the options in the
  // query string.
  const run = async (site) => {
    clearHits();
    report.replaceChildren(el('p', { class: 'hint' }, '正在分析…'));
    let overlay, compliance;
    const q = new URLSearchParams({ layers: layers.join(',') });
    try {
      if (site.text) {
        const h = { 'Content-Type': 'text/plain; charset=utf-8' };
        [overlay, compliance] = await Promise.all([
          api(`/api/v1/analysis/overlay?${q}`, { method: 'POST', body: site.text, headers: h }),
          api('/api/v1/analysis/compliance', { method: 'POST', body: site.text, headers: h })]);
      } else {
        const body = { ...site, layers };
        [overlay, compliance] = await Promise.all([
          api('/api/v1/analysis/overlay', { method: 'POST', body }),
          api('/api/v1/analysis/compliance', { method: 'POST', body: site })]);
      }
    } catch (e) {
      report.replaceChildren(el('p', { class: 'err' }, `分析失败：${e.message}`));
      return;
    }
    for (const l of overlay.layers) {
      for (const f of l.features || []) {
        if (!map.getSource(l.layer)) continue;
        ensureHighlight(map, l.layer);
        const id = { source: l.layer, sourceLayer: l.layer, id: f.id };
        map.setFeatureState(id, { hit: true });
        hits.push(id);
      }
    }
    report.replaceChildren(renderReport(overlay, compliance, site, q, cat));
    window.onemap.lastReport = { overlay, compliance, site };
  };
  ctx.analyse = run;

  const showSite = (geometry) => {
    map.getSource('site').setData({ type: 'Feature', properties: {}, geometry });
    map.fitBounds(boundsOf(geometry), { padding: 60, maxZoom: 16, duration: 0 });
  };

  document.getElementById('draw-btn').addEventListener('click', () => {
    if (!draw) {
      draw = new TerraDraw({ adapter: new TerraDrawMapLibreGLAdapter({ map }), modes: [new TerraDrawPolygonMode()] });
      draw.start();
      draw.on('finish', (id) => {
        const f = draw.getSnapshotFeature(id);
        drawingOn = false;
        draw.setMode('static');
        document.getElementById('draw-btn').setAttribute('aria-pressed', 'false');
        if (f) {
          map.getSource('site').setData({ type: 'Feature', properties: {}, geometry: f.geometry });
          run({ geometry: f.geometry });
        }
      });
    }
    draw.clear();
    draw.setMode('polygon');
    drawingOn = true;
    document.getElementById('draw-btn').setAttribute('aria-pressed', 'true');
  });
  document.getElementById('clear-btn').addEventListener('click', clear);

  document.getElementById('paste-btn').addEventListener('click', () => {
    const text = document.getElementById('geom-text').value.trim();
    if (!text) return;
    const site = parseSite(text);
    if (site.error) {
      report.replaceChildren(el('p', { class: 'err' }, site.error));
      return;
    }
    if (site.geometry || site.show) showSite(site.geometry || site.show);
    const { show, ...body } = site;
    run(body);
  });

  document.getElementById('file-in').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    const buf = await file.arrayBuffer();
    let text = new TextDecoder('utf-8').decode(buf);
    const site = /\.(geo)?json$/i.test(file.name) || text.trim().startsWith('{') ? parseSite(text) : { text: null };
    if (site.error) {
      report.replaceChildren(el('p', { class: 'err' }, site.error));
      return;
    }
    if (site.geometry) {
      showSite(site.geometry);
      run(site);
    } else {
      // A coordinate text file: sent as it is (the server reads UTF-8 or GBK).
      if (text.includes('\uFFFD')) text = new TextDecoder('gbk').decode(buf);
      run({ text });
    }
    e.target.value = '';
  });
}

/** parseSite reads pasted text: GeoJSON (a geometry, Feature or the first
 * polygon of a FeatureCollection) or WKT/EWKT. */
export function parseSite(text) {
  if (text.startsWith('{')) {
    let j;
    try {
      j = JSON.parse(text);
    } catch (e) {
      return { error: `GeoJSON 无法解析：${e.message}` };
    }
    if (j.type === 'FeatureCollection') j = (j.features || []).find((f) => f.geometry && /Polygon/.test(f.geometry.type));
    if (j && j.type === 'Feature') j = j.geometry;
    if (!j || !/Polygon$/.test(j.type)) return { error: 'GeoJSON 中没有面（Polygon / MultiPolygon）' };
    return { geometry: j };
  }
  if (/^\s*(SRID=\d+;)?\s*(MULTI)?POLYGON/i.test(text)) return { wkt: text, show: wktPolygon(text) };
  if (text.includes('[地块坐标]') || text.includes('[属性描述]')) return { text };
  return { error: '无法识别：请粘贴 GeoJSON、WKT 或坐标文本' };
}

/** wktPolygon draws a lon/lat WKT polygon on the map (null for other
 * coordinate systems, which only the server transforms). */
function wktPolygon(text) {
  const srid = text.match(/SRID=(\d+)/i);
  if (srid && !['4490', '4326'].includes(srid[1])) return null;
  const rings = [...text.matchAll(/\(([^()]+)\)/g)].map((m) => m[1].split(',').map((p) => p.trim().split(/\s+/).map(Number)));
  if (!rings.length || rings.some((r) => r.some((p) => p.length < 2 || p.some((v) => !Number.isFinite(v))))) return null;
  if (Math.abs(rings[0][0][0]) > 180) return null;
  return { type: 'MultiPolygon', coordinates: rings.map((r) => [r]) };
}

function areaCells(a) {
  return [el('td', { class: 'n' }, fmt(a.mu)), el('td', { class: 'n' }, fmt(a.ha, 4)), el('td', { class: 'n' }, fmt(a.m2))];
}

function renderReport(overlay, compliance, site, q, cat) {
  const names = new Map(cat.layers.map((l) => [l.id, l.name]));
  const out = el('div', { class: 'report' });
  out.append(el('h3', {}, '项目用地面积'),
    el('p', { class: 'total', 'data-m2': overlay.area.m2 }, `${fmt(overlay.area.mu)} 亩 · ${fmt(overlay.area.ha, 4)} 公顷 · ${fmt(overlay.area.m2)} 平方米`));
  if (overlay.repaired) out.append(el('p', { class: 'hint' }, '几何已自动修复'));
  out.append(el('h3', {}, '合规审查：', el('span', { class: compliance.pass ? 'ok' : 'bad' }, compliance.pass ? '通过' : '不通过')));
  out.append(el('table', { class: 'data' },
    el('tr', {}, el('th', {}, '管控要素'), el('th', {}, '结论'), el('th', {}, '亩'), el('th', {}, '平方米')),
    compliance.controls.map((c) => el('tr', {}, el('td', {}, c.name || CONTROL_NAMES[c.control] || c.control),
      el('td', { class: c.pass ? 'ok' : 'bad' }, c.pass ? '符合' : '冲突'), el('td', { class: 'n' }, fmt(c.mu)), el('td', { class: 'n' }, fmt(c.m2))))));
  out.append(el('h3', {}, '压盖分析'));
  for (const l of overlay.layers) {
    const t = l.total || {};
    const sec = el('details', { class: 'layer-report', 'data-layer': l.layer, open: l.layer === 'dltb' },
      el('summary', {}, `${l.name || names.get(l.layer)}：${t.count ?? 0} 个要素，${fmt(t.mu)} 亩`));
    if (l.groups && l.groups.length) {
      sec.append(el('table', { class: 'data' },
        el('tr', {}, el('th', {}, l.layer === 'dltb' ? '地类' : '类别'), el('th', {}, '个数'), el('th', {}, '亩'), el('th', {}, '公顷'), el('th', {}, '平方米')),
        l.groups.map((g) => el('tr', {}, el('td', {}, g.label && g.label !== g.key ? `${g.key} ${g.label}` : g.key), el('td', { class: 'n' }, g.count), ...areaCells(g)))));
    }
    if (t.net && l.layer === 'dltb') sec.append(el('p', { class: 'hint' }, `扣除田坎后净面积 ${fmt(t.net.mu)} 亩`));
    out.append(sec);
  }
  const csv = el('button', { type: 'button', onclick: () => exportCSV(site, q) }, '导出 CSV');
  out.append(el('div', { class: 'row' }, csv));
  return out;
}

async function exportCSV(site, q) {
  const qs = new URLSearchParams(q);
  qs.set('f', 'csv');
  const init = site.text
    ? { method: 'POST', body: site.text, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }
    : { method: 'POST', body: JSON.stringify({ ...site, layers: qs.get('layers').split(',') }), headers: { 'Content-Type': 'application/json' } };
  const res = await fetchRetry(`/api/v1/analysis/overlay?${qs}`, init);
  if (!res.ok) {
    console.warn('导出失败', res.status);
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: '压盖分析.csv' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
