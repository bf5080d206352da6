// The map page of onemap: a MapLibre map of the catalogue's layers with a
// layer tree, identify, draw-and-analyse, the supervision list and
// statistics. Everything it loads comes from onemap itself.
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './app.css';
import { api, fetchRetry } from './api.js';
import { buildTree } from './tree.js';
import { setupIdentify } from './identify.js';
import { setupAnalysis } from './analysis.js';
import { setupSupervision } from './supervision.js';
import { setupStats } from './stats.js';
import { setupSearch } from './search.js';
import { setupLogin } from './login.js';
import { readHash, writeHash } from './hash.js';

const t0 = performance.now();
window.onemap = { t0, firstIdle: null };

// The worker sits beside this bundle (same origin: the page's CSP allows
// 'self' workers).
maplibregl.setWorkerUrl(new URL('maplibre-gl-worker.mjs', import.meta.url).href);
// Start the worker now, while the style and the catalogue load.
maplibregl.prewarm();

// Tiles go through the "onemap" protocol: overview tiles answer 503 with
// Retry-After while they are built after start; we wait and ask again
// instead of leaving holes in the map.
maplibregl.addProtocol('onemap', async (params, abort) => {
  const url = params.url.replace(/^onemap:/, location.protocol);
  const res = await fetchRetry(url, { signal: abort.signal }, 200, 250);
  if (res.status === 204) return { data: new ArrayBuffer(0) };
  if (!res.ok) throw new Error(`tile ${res.status}: ${url}`);
  return { data: await res.arrayBuffer(), cacheControl: res.headers.get('Cache-Control'), expires: res.headers.get('Expires') };
});

/** The layers shown when the URL says nothing: a calm base with the parcels. */
const DEFAULT_LAYERS = ['xzq', 'xzqjx', 'sx', 'jtlw', 'jmd', 'dltb'];

async function loadStyle() {
  const st = await api('/style.json', { headers: { Accept: '*/*' } });
  for (const s of Object.values(st.sources)) {
    if (s.type === 'vector' && s.tiles) s.tiles = s.tiles.map((u) => u.replace(/^https?:/, 'onemap:'));
  }
  return st;
}

/** catalogueLayerOf names the catalogue layer a style layer draws. */
export const catalogueLayerOf = (l) => (l.metadata && l.metadata['onemap:layer']) || l.source;

/** ensureHighlight adds, on first use, the layer drawing the outline of
 * a catalogue layer's features whose state is hl (identified: cyan) or hit
 * (analysis hits: magenta). Added lazily: every extra layer type costs a
 * shader program, and compiling one is slow on software WebGL. */
export function ensureHighlight(map, id) {
  const hl = `${id}-hl`;
  if (map.getLayer(hl) || !map.getSource(id)) return;
  const layers = map.getStyle().layers;
  const l = layers.find((x) => catalogueLayerOf(x) === id && ['fill', 'line', 'circle'].includes(x.type));
  if (!l) return;
  const firstSymbol = layers.find((x) => x.type === 'symbol');
  const color = ['case', ['boolean', ['feature-state', 'hl'], false], '#00b8d9', '#d6249f'];
  const on = ['any', ['boolean', ['feature-state', 'hl'], false], ['boolean', ['feature-state', 'hit'], false]];
  const base = { source: l.source, 'source-layer': l['source-layer'], minzoom: l.minzoom, metadata: l.metadata, layout: { visibility: (l.layout && l.layout.visibility) || 'visible' } };
  if (l.type === 'circle') {
    map.addLayer({ ...base, id: hl, type: 'circle', paint: { 'circle-radius': 9, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': color, 'circle-stroke-width': 3, 'circle-stroke-opacity': ['case', on, 1, 0] } }, firstSymbol && firstSymbol.id);
  } else {
    map.addLayer({ ...base, id: hl, type: 'line', paint: { 'line-color': color, 'line-width': 3, 'line-opacity': ['case', on, 1, 0] } }, firstSymbol && firstSymbol.id);
  }
}

async function start() {
  const [me, cat, style] = await Promise.all([api('/api/v1/me', { headers: { Accept: '*/*' } }), api('/api/v1/layers', { headers: { Accept: '*/*' } }), loadStyle()]);
  const view = readHash();
  const visible = new Set(view.layers || DEFAULT_LAYERS);
  for (const l of style.layers) {
    if (l.id === 'background') continue;
    l.layout = { ...(l.layout || {}), visibility: visible.has(catalogueLayerOf(l)) ? 'visible' : 'none' };
  }
  const home = cat.layers.find((l) => l.id === 'dltb' && l.bounds) || cat.layers.find((l) => l.bounds);
  const opts = {
    container: 'map', style, attributionControl: { compact: true }, hash: false,
    maxPitch: 0, dragRotate: false, fadeDuration: 0,
  };
  if (view.center) {
    opts.center = view.center;
    opts.zoom = view.zoom;
  } else if (home) {
    opts.bounds = [[home.bounds[0], home.bounds[1]], [home.bounds[2], home.bounds[3]]];
    opts.fitBoundsOptions = { padding: 20 };
  }
  const map = new maplibregl.Map(opts);
  window.onemap.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('error', (e) => {
    // Reported once, as a warning the tests can see; aborted tiles are normal.
    if (e && e.error && e.error.name === 'AbortError') return;
    console.warn('地图错误', e && e.error ? e.error.message : e);
  });
  window.onemap.renders = [];
  map.on('render', () => { if (!window.onemap.firstIdle) window.onemap.renders.push(Math.round(performance.now())); });
  map.once('idle', () => {
    window.onemap.firstIdle = performance.now();
    document.body.dataset.ready = 'true';
  });
  await new Promise((r) => (map.loaded() ? r() : map.once('load', r)));

  const ctx = { map, me, cat, style, visible, maplibregl };
  const persist = () => writeHash(map, visible);
  ctx.persist = persist;
  map.on('moveend', persist);
  buildTree(ctx);
  setupIdentify(ctx);
  setupAnalysis(ctx);
  setupSupervision(ctx);
  setupStats(ctx);
  setupSearch(ctx);
  setupLogin(ctx);
  setupTabs();
  persist();
}

function setupTabs() {
  const tabs = document.querySelectorAll('#tabs [role=tab]');
  for (const t of tabs) {
    t.addEventListener('click', () => {
      for (const u of tabs) {
        const on = u === t;
        u.setAttribute('aria-selected', String(on));
        document.getElementById(`panel-${u.dataset.tab}`).hidden = !on;
      }
      window.dispatchEvent(new CustomEvent('onemap:tab', { detail: t.dataset.tab }));
    });
  }
}

start().catch((e) => {
  console.error('页面启动失败', e);
  document.getElementById('tree').textContent = `加载失败：${e.message}`;
});
