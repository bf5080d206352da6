// Search: place names (居民点, 行政区) and the numbers supervisors look up:
// parcel numbers (TBBH), approval numbers (PZWH) and licence numbers
// (XKZH), with CQL2 filters on the OGC API – Features items.
import { api, el, boundsOf } from './api.js';

const TARGETS = [
  ['jmd', 'MC', '居民点'], ['xzq', 'XZQMC', '行政区'], ['dltb', 'TBBH', '图斑编号'],
  ['jsydsp', 'PZWH', '批准文号'], ['ckq', 'XKZH', '采矿许可证'], ['tkq', 'XKZH', '探矿许可证'],
];

export function setupSearch(ctx) {
  const { map } = ctx;
  const form = document.getElementById('search');
  const input = document.getElementById('search-q');
  const out = document.getElementById('search-results');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = input.value.trim().replaceAll("'", "''");
    if (!q) return;
    out.hidden = false;
    out.replaceChildren(el('li', { class: 'hint' }, '正在搜索…'));
    const readable = TARGETS.filter(([id]) => map.getSource(id));
    const answers = await Promise.all(readable.map(async ([id, field, label]) => {
      // Numbers match exactly or by prefix; names anywhere.
      const filter = field === 'MC' || field === 'XZQMC' ? `${field} LIKE '%${q}%'` : `${field} LIKE '${q}%'`;
      const p = new URLSearchParams({ filter, limit: '8' });
      try {
        const fc = await api(`/ogc/collections/${id}/items?${p}`, { headers: { Accept: 'application/geo+json' } });
        return fc.features.map((f) => ({ id, label, text: String(f.properties[field]), f }));
      } catch {
        return [];
      }
    }));
    const hits = answers.flat();
    if (!hits.length) {
      out.replaceChildren(el('li', { class: 'hint' }, '没有找到'));
      return;
    }
    out.replaceChildren(...hits.map((h) => el('li', {}, el('button', { type: 'button', onclick: () => {
      out.hidden = true;
      if (!ctx.visible.has(h.id) && ctx.setVisible) {
        ctx.setVisible(h.id, true);
        const cb = document.getElementById(`chk-${h.id}`);
        if (cb) cb.checked = true;
      }
      const b = boundsOf(h.f.geometry);
      if (h.f.geometry.type === 'Point') map.jumpTo({ center: b[0], zoom: 15 });
      else map.fitBounds(b, { padding: 60, maxZoom: 17, duration: 0 });
      map.once('idle', () => ctx.highlight(h.id, h.f.id));
    } }, el('small', {}, h.label), ' ', h.text))));
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') out.hidden = true; });
}
