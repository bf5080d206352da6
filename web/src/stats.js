// Statistics: land use by class and supervision verdicts per region, as
// ECharts charts (loaded on first use: the map does not wait for them).
import { api, el } from './api.js';
import { LANDUSE_COLORS } from './colors.js';

const VERDICTS = [['legal', '合法', '#52c41a'], ['approved_not_supplied', '批而未供', '#faad14'], ['unapproved', '未批先建', '#f5222d']];

export function setupStats(ctx) {
  let echarts = null;
  let charts = [];
  let loaded = false;
  const input = document.getElementById('st-region');
  const title = document.getElementById('st-title');
  const regions = new Map();

  const fillRegions = async () => {
    try {
      for (const level of [4, 6]) {
        const s = await api(`/api/v1/supervision/summary?level=${level}`);
        for (const r of s.rows) {
          regions.set(r.code, r.name || r.code);
          document.getElementById('st-regions').append(el('option', { value: r.code }, r.name || ''));
        }
      }
    } catch (e) {
      console.warn('区域列表加载失败', e.message);
    }
  };

  /** codeOf takes an admin code or a region's name. */
  const codeOf = (v) => {
    v = v.trim();
    if (/^\d+$/.test(v)) return v;
    for (const [code, name] of regions) if (name === v || name.includes(v)) return code;
    return v;
  };

  const draw = async () => {
    const region = codeOf(input.value);
    if (!/^\d{2,12}$/.test(region)) {
      title.textContent = '请输入行政区代码或名称';
      return;
    }
    const level = Math.min(region.length + 2, 9);
    title.textContent = '正在统计…';
    if (!echarts) {
      ({ echarts } = await import('./charts.js'));
    }
    let lu, sv;
    try {
      [lu, sv] = await Promise.all([
        api(`/api/v1/stats/landuse?region=${region}&level=${level}`),
        api(`/api/v1/supervision/summary?region=${region}&level=${level}`)]);
    } catch (e) {
      title.textContent = `统计失败：${e.message}`;
      return;
    }
    title.textContent = `${regions.get(region) || region}：下级区域 ${lu.rows.length} 个`;
    for (const c of charts) c.dispose();
    const names = lu.rows.map((r) => r.name || r.code);
    const classes = new Map();
    for (const r of lu.rows) for (const c of r.classes || []) classes.set(c.code, c.name);
    const luChart = echarts.init(document.getElementById('chart-landuse'), null, { renderer: 'canvas' });
    luChart.setOption({
      animation: false,
      title: { text: '土地利用现状（公顷）', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { type: 'scroll', bottom: 0, textStyle: { fontSize: 10 } },
      grid: { left: 60, right: 10, top: 30, bottom: 50 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: names },
      series: [...classes].map(([code, name]) => ({
        name: `${code} ${name}`, type: 'bar', stack: 'a', itemStyle: { color: LANDUSE_COLORS[code] },
        data: lu.rows.map((r) => {
          const c = (r.classes || []).find((x) => x.code === code);
          return c ? Math.round(c.area_m2 / 100) / 100 : 0;
        }),
      })),
    });
    const svChart = echarts.init(document.getElementById('chart-verdicts'), null, { renderer: 'canvas' });
    svChart.setOption({
      animation: false,
      title: { text: '卫片图斑判定（个）', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 10, top: 30, bottom: 40 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: sv.rows.map((r) => r.name || r.code) },
      series: VERDICTS.map(([k, name, color]) => ({
        name, type: 'bar', stack: 'v', itemStyle: { color },
        data: sv.rows.map((r) => (r.verdicts && r.verdicts[k] ? r.verdicts[k].count : 0)),
      })),
    });
    charts = [luChart, svChart];
    window.onemap.charts = charts;
  };

  document.getElementById('st-go').addEventListener('click', draw);
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') draw(); });
  window.addEventListener('onemap:tab', async (e) => {
    if (e.detail === 'stats' && !loaded) {
      loaded = true;
      await fillRegions();
      draw();
    } else if (e.detail === 'stats') {
      for (const c of charts) c.resize();
    }
  });
}
