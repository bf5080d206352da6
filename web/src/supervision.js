// The supervision panel: the change patches (卫片图斑) of a region with
// their verdicts, filtered by verdict, reason and field-check status and
// sorted by area; a patch opens with its verdict, evidence and areas, and
// a form records a field check (核查).
import { api, el, fmt, boundsOf } from './api.js';

const CHECKS = { confirmed_legal: '核实合法', confirmed_illegal: '核实违法', rectifying: '整改中', rectified: '已整改', other: '其他' };
const VERDICT_CLASS = { legal: 'ok', approved_not_supplied: 'warn', unapproved: 'bad' };
const AREA_NAMES = { approved: '已批准', supplied: '已供应', cultivated: '占用耕地', farmland_unapproved: '未批占永久基本农田', red_line: '占生态保护红线', outside_boundary: '城镇开发边界外' };

export function setupSupervision(ctx) {
  const { map, cat } = ctx;
  const names = new Map(cat.layers.map((l) => [l.id, l.name]));
  const list = document.getElementById('sv-list');
  const detail = document.getElementById('sv-detail');
  const count = document.getElementById('sv-count');
  const sel = (id) => document.getElementById(id);
  let loaded = false;
  let seq = 0;

  map.addSource('patch', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'patch-line', type: 'line', source: 'patch', paint: { 'line-color': '#ff1f1f', 'line-width': 3 } });

  const load = async () => {
    const my = ++seq;
    const q = new URLSearchParams({ sort: 'area', limit: '500' });
    for (const [k, id] of [['region', 'sv-region'], ['status', 'sv-status'], ['reason', 'sv-reason'], ['check', 'sv-check']]) {
      if (sel(id).value) q.set(k, sel(id).value);
    }
    count.textContent = '正在加载…（服务启动后需先完成全部图斑的判定）';
    let fc;
    try {
      fc = await api(`/api/v1/supervision/patches?${q}`);
    } catch (e) {
      count.textContent = `加载失败：${e.message}`;
      return;
    }
    if (my !== seq) return;
    count.textContent = `共 ${fc.numberMatched} 个图斑，按面积从大到小${fc.numberMatched > fc.numberReturned ? `（显示前 ${fc.numberReturned} 个）` : ''}`;
    list.replaceChildren(...fc.features.map((f) => {
      const p = f.properties;
      const checked = p.check ? CHECKS[p.check.result] || p.check.result : '未核查';
      return el('li', {},
        el('button', { type: 'button', class: 'patch', 'data-id': f.id, 'data-key': p.key, onclick: () => open(f.id) },
          el('b', {}, p.key), ' ',
          el('span', { class: VERDICT_CLASS[p.verdict] || '' }, p.verdict_label || p.verdict),
          p.reason_labels && p.reason_labels.length ? el('span', { class: 'reasons' }, ` · ${p.reason_labels.join('、')}`) : null,
          el('span', { class: 'area' }, `${fmt(p.area.mu)} 亩 · ${checked}`)));
    }));
  };

  const regions = async () => {
    try {
      const s = await api('/api/v1/supervision/summary?level=6');
      for (const r of s.rows) sel('sv-region').append(el('option', { value: r.code }, `${r.name || ''} ${r.code}`));
    } catch (e) {
      console.warn('区域列表加载失败', e.message);
    }
  };

  const open = async (id) => {
    detail.replaceChildren(el('p', { class: 'hint' }, '正在加载…'));
    let f;
    try {
      f = await api(`/api/v1/supervision/patches/${id}`);
    } catch (e) {
      detail.replaceChildren(el('p', { class: 'err' }, e.message));
      return;
    }
    const p = f.properties;
    for (const p of document.querySelectorAll('.maplibregl-popup')) p.remove();
    map.getSource('patch').setData(f);
    map.fitBounds(boundsOf(f.geometry), { padding: 80, maxZoom: 17, duration: 0 });
    const ev = (p.evidence || []).map((e) => el('tr', {},
      el('td', {}, names.get(e.layer) || e.layer), el('td', {}, `#${e.id}`), el('td', {}, e.key || ''),
      el('td', { class: 'n' }, fmt(e.mu)), el('td', { class: 'n' }, fmt(e.m2)), el('td', {}, e.counts ? '计入' : '')));
    const areas = Object.entries(p.areas || {}).map(([k, a]) => el('tr', {}, el('td', {}, AREA_NAMES[k] || k), el('td', { class: 'n' }, fmt(a.mu)), el('td', { class: 'n' }, fmt(a.m2))));
    const history = (p.checks || []).slice().reverse().map((c) => el('li', {}, `${(c.at || '').slice(0, 19).replace('T', ' ')} ${c.user || ''}：${CHECKS[c.result] || c.result}${c.comment ? `（${c.comment}）` : ''}`));
    const result = el('select', { id: 'ck-result', 'aria-label': '核查结果' }, Object.entries(CHECKS).map(([v, t]) => el('option', { value: v }, t)));
    const comment = el('input', { id: 'ck-comment', placeholder: '核查说明', 'aria-label': '核查说明' });
    const msg = el('span', { class: 'hint', id: 'ck-msg' });
    const form = el('form', { class: 'check', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api(`/api/v1/supervision/patches/${id}/check`, { method: 'PUT', body: { result: result.value, comment: comment.value } });
        msg.textContent = '已保存';
        open(id);
        load();
      } catch (err) {
        msg.textContent = `保存失败：${err.message}`;
      }
    } }, el('h4', {}, '记录核查'), el('div', { class: 'row' }, result, comment, el('button', { type: 'submit' }, '保存')), msg);
    detail.replaceChildren(el('div', { class: 'patch-detail', 'data-id': id },
      el('h3', {}, `图斑 ${p.key}`),
      el('p', {}, '结论：', el('b', { class: VERDICT_CLASS[p.verdict] || '' }, p.verdict_label || p.verdict),
        p.reason_labels && p.reason_labels.length ? `；${p.reason_labels.join('、')}` : ''),
      el('p', {}, `面积 ${fmt(p.area.mu)} 亩（${fmt(p.area.m2)} 平方米），后时相 ${p.date || ''}`),
      el('table', { class: 'data' }, el('tr', {}, el('th', {}, '面积项'), el('th', {}, '亩'), el('th', {}, '平方米')), areas),
      el('h4', {}, '证据'),
      el('table', { class: 'data evidence' }, el('tr', {}, el('th', {}, '图层'), el('th', {}, '编号'), el('th', {}, '标识'), el('th', {}, '亩'), el('th', {}, '平方米'), el('th', {}, '')), ev),
      el('h4', {}, '核查记录'),
      history.length ? el('ul', { class: 'checks' }, history) : el('p', { class: 'hint' }, '尚无核查记录'),
      form));
  };
  ctx.openPatch = open;

  for (const id of ['sv-region', 'sv-status', 'sv-reason', 'sv-check']) sel(id).addEventListener('change', load);
  window.addEventListener('onemap:tab', (e) => {
    if (e.detail === 'supervision' && !loaded) {
      loaded = true;
      regions();
      load();
    }
  });
  ctx.reloadSupervision = load;
}
