// The layer tree: the catalogue's five groups, a checkbox per layer, its
// legend from the style, the zoom from which it is drawn, and an opacity.
import { el } from './api.js';
import { catalogueLayerOf } from './main.js';

const OPACITY = { fill: 'fill-opacity', line: 'line-opacity', circle: 'circle-opacity', symbol: 'text-opacity', raster: 'raster-opacity' };

export function buildTree(ctx) {
  const { map, cat, style, visible } = ctx;
  const byLayer = new Map();
  for (const l of map.getStyle().layers) {
    if (l.id === 'background') continue;
    const id = catalogueLayerOf(l);
    if (!byLayer.has(id)) byLayer.set(id, []);
    byLayer.get(id).push(l);
  }
  const original = new Map(style.layers.map((l) => [l.id, l.paint || {}]));

  const setVisible = (id, on) => {
    if (on) visible.add(id); else visible.delete(id);
    for (const l of byLayer.get(id) || []) map.setLayoutProperty(l.id, 'visibility', on ? 'visible' : 'none');
    if (map.getLayer(`${id}-hl`)) map.setLayoutProperty(`${id}-hl`, 'visibility', on ? 'visible' : 'none');
    ctx.persist();
    window.dispatchEvent(new CustomEvent('onemap:layers'));
  };
  ctx.setVisible = setVisible;
  const setOpacity = (id, f) => {
    for (const l of byLayer.get(id) || []) {
      if (l.id.endsWith('-hl')) continue;
      const prop = OPACITY[l.type];
      const base = original.get(l.id)?.[prop];
      map.setPaintProperty(l.id, prop, typeof base === 'number' ? base * f : f);
    }
  };

  const root = el('div');
  const row = (id, name, styleLayers, info) => {
    const legend = styleLayers[0]?.metadata?.['onemap:legend'] || [];
    const minzoom = Math.min(...styleLayers.filter((l) => !l.id.endsWith('-label')).map((l) => l.minzoom ?? 0));
    const cb = el('input', { type: 'checkbox', id: `chk-${id}`, checked: visible.has(id), onchange: (e) => setVisible(id, e.target.checked) });
    const op = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '1', 'aria-label': `${name}透明度`, title: '透明度', oninput: (e) => setOpacity(id, Number(e.target.value)) });
    const sw = el('span', { class: 'legend' }, legend.slice(0, legend.length > 1 ? 12 : 1).map((x) => el('i', { style: `background:${x.color}`, title: x.label })));
    const li = el('li', { class: 'layer', 'data-layer': id },
      el('label', { for: `chk-${id}` }, cb, sw, el('span', { class: 'name' }, name)),
      el('span', { class: 'zoom', title: `${minzoom} 级起显示` }, `${minzoom}级+`),
      op);
    if (info) li.append(el('span', { class: 'hint' }, info));
    if (legend.length > 1) {
      li.append(el('details', { class: 'classes' }, el('summary', {}, '图例'),
        el('ul', {}, legend.map((x) => el('li', {}, el('i', { style: `background:${x.color}` }), x.label)))));
    }
    return li;
  };
  if (byLayer.has('basemap')) {
    root.append(el('ul', { class: 'group-list' }, row('basemap', '底图（栅格）', byLayer.get('basemap'))));
  }
  for (const g of cat.groups) {
    const ul = el('ul', { class: 'group-list' });
    for (const l of cat.layers.filter((x) => x.group === g.id)) {
      if (byLayer.has(l.id)) {
        ul.append(row(l.id, l.name, byLayer.get(l.id)));
      } else {
        ul.append(el('li', { class: 'layer locked', 'data-layer': l.id }, el('span', { class: 'name' }, l.name), el('span', { class: 'hint' }, '需登录有权限的账号')));
      }
    }
    root.append(el('details', { class: 'group', open: true }, el('summary', {}, g.name), ul));
  }
  const tree = document.getElementById('tree');
  tree.replaceChildren(root);
}
