// The map page in a real browser: Debian's chromium driven by playwright-core,
// WebGL through SwiftShader. Run by cmd/onemap/browser_test.go, which starts
// onemap on the demo data and passes what to expect as JSON:
//   node browser.mjs '{"base","chromium","artifacts","parcel":{lon,lat,tbbh},
//                      "site":{geometry,m2},"patch":{id,key,evidence:[{layer,id}]}}'
// It prints one line "RESULT {json}" and exits non-zero when a check fails.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2]);
mkdirSync(cfg.artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(cfg.artifacts, `${name}.png`) });
const failures = [];
const result = { checks: [] };
const check = (name, ok, detail = '') => {
  result.checks.push({ name, ok, detail });
  if (!ok) failures.push(`${name}: ${detail}`);
  console.error(`${ok ? 'ok  ' : 'FAIL'} ${name} ${detail}`);
};

const userDataDir = mkdtempSync(join(tmpdir(), 'onemap-chromium-'));
const ctx = await chromium.launchPersistentContext(userDataDir, {
  executablePath: cfg.chromium,
  headless: true,
  viewport: { width: 1366, height: 768 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const page = ctx.pages()[0] || await ctx.newPage();
page.setDefaultTimeout(60000);
const consoleProblems = [];
const driverNotes = [];
page.on('console', (m) => {
  if (m.type() !== 'error' && m.type() !== 'warning') return;
  // SwiftShader's own performance notes ("GL Driver Message … GPU stall due
  // to ReadPixels") are Chromium's, not the page's: counted, not failed.
  if (/GL Driver Message/.test(m.text())) driverNotes.push(m.text());
  else consoleProblems.push(`${m.type()}: ${m.text()}`);
});
page.on('pageerror', (e) => consoleProblems.push(`pageerror: ${e.message}`));

const idle = () => page.evaluate(() => new Promise((r) => {
  const m = window.onemap.map;
  if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) setTimeout(r, 50); else m.once('idle', () => r());
}));
const rendered = (layer) => page.evaluate((l) => window.onemap.map.queryRenderedFeatures({ layers: [l] }).length, layer);

try {
  // 1. Load: time from navigation start to MapLibre's first idle.
  await page.goto(`${cfg.base}/`);
  await page.waitForFunction(() => window.onemap && window.onemap.firstIdle, null, { timeout: 120000 });
  const t = await page.evaluate(() => ({ firstIdle: window.onemap.firstIdle, frames: window.onemap.renders.length, nav: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd }));
  result.frames_before_idle = t.frames;
  result.first_idle_ms = Math.round(t.firstIdle);
  result.dom_content_loaded_ms = Math.round(t.nav || 0);
  const res = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => ({ name: r.name, start: r.startTime, end: r.responseEnd })));
  result.requests_before_idle = res.filter((r) => r.end <= t.firstIdle).length;
  result.tile_requests = res.filter((r) => r.name.includes('/tiles/')).length;
  await shot(page, '01-start');
  check('page loads, map idle', t.firstIdle > 0, `first idle ${result.first_idle_ms} ms`);
  const groups = await page.$$eval('#tree details.group', (d) => d.length);
  check('layer tree has the 5 groups', groups === 5, `${groups}`);

  // 2. Toggling layers changes what is drawn.
  const before = await rendered('dltb-fill');
  await page.click('#chk-dltb');
  await idle();
  const after = await rendered('dltb-fill');
  check('dltb drawn, then hidden', before > 0 && after === 0, `${before} → ${after}`);
  await page.click('#chk-dltb');
  const yBefore = await rendered('yjjbnt-fill');
  await page.click('#chk-yjjbnt');
  await idle();
  const yAfter = await rendered('yjjbnt-fill');
  check('yjjbnt off, then drawn', yBefore === 0 && yAfter > 0, `${yBefore} → ${yAfter}`);
  const hash = await page.evaluate(() => location.hash);
  check('view in the URL hash', hash.includes('yjjbnt') && hash.includes('map='), hash);
  await page.click('#chk-yjjbnt');

  // 3. Identify a known parcel.
  await page.evaluate(([lon, lat]) => window.onemap.map.jumpTo({ center: [lon, lat], zoom: 16.5 }), [cfg.parcel.lon, cfg.parcel.lat]);
  await idle();
  const pt = await page.evaluate(([lon, lat]) => {
    const p = window.onemap.map.project([lon, lat]);
    const r = window.onemap.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [cfg.parcel.lon, cfg.parcel.lat]);
  await page.mouse.click(pt.x, pt.y);
  await page.waitForSelector('.identify-popup section[data-layer="dltb"]');
  const popup = await page.textContent('.identify-popup');
  check('identify shows the parcel TBBH', popup.includes(cfg.parcel.tbbh) && popup.includes('图斑编号'), cfg.parcel.tbbh);
  await idle();
  const lit = await page.evaluate(() => window.onemap.map.queryRenderedFeatures({ layers: ['dltb-hl'] }).filter((f) => f.state.hl).length);
  check('identified parcel highlighted', lit > 0, `${lit} features with state hl`);
  await shot(page, '02-identify');
  await page.keyboard.press('Escape');
  await page.evaluate(() => document.querySelector('.maplibregl-popup-close-button')?.click());

  // 4. Draw a polygon and compare the report with the API's answer.
  await page.click('#tabs [data-tab=analysis]');
  await page.click('#draw-btn');
  const box = await page.evaluate(() => {
    const r = window.onemap.map.getCanvas().getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  });
  const cx = box.x + box.w / 2, cy = box.y + box.h / 2;
  const corners = [[-120, -80], [110, -90], [130, 70], [-100, 95]];
  for (const [dx, dy] of corners) {
    await page.mouse.move(cx + dx, cy + dy);
    await page.mouse.click(cx + dx, cy + dy);
    await page.waitForTimeout(150);
  }
  await page.mouse.move(cx + corners[0][0], cy + corners[0][1]);
  await page.mouse.click(cx + corners[0][0], cy + corners[0][1]);
  await page.waitForSelector('#report .total', { timeout: 60000 });
  const drawn = await page.evaluate(async () => {
    const shown = Number(document.querySelector('#report .total').dataset.m2);
    const g = window.onemap.lastReport.site.geometry;
    const r = await fetch('/api/v1/analysis/overlay', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ geometry: g, layers: ['dltb'] }) });
    return { shown, api: (await r.json()).area.m2, text: document.querySelector('#report').textContent };
  });
  check('drawn polygon: report total equals the API', drawn.shown > 0 && Math.abs(drawn.shown - drawn.api) < 1e-6 && drawn.text.includes('亩') && drawn.text.includes('公顷'),
    `${drawn.shown} vs ${drawn.api}`);
  await idle();
  await shot(page, '03-draw-report');

  // 5. Paste a planted site's GeoJSON: its total equals the API's (asked by the Go test).
  await page.click('#clear-btn');
  await page.fill('#geom-text', JSON.stringify(cfg.site.geometry));
  await page.click('#paste-btn');
  await page.waitForSelector('#report .total');
  const pasted = await page.evaluate(() => ({ m2: Number(document.querySelector('#report .total').dataset.m2), text: document.querySelector('#report').textContent, hits: window.onemap.lastReport.overlay.layers.reduce((n, l) => n + (l.features || []).length, 0) }));
  check('pasted site: report total equals the API', Math.abs(pasted.m2 - cfg.site.m2) < 1e-6 && pasted.text.includes('合规审查'), `${pasted.m2} vs ${cfg.site.m2}`);
  await idle();
  const hit = await page.evaluate(() => window.onemap.map.queryRenderedFeatures().filter((f) => f.state && f.state.hit).length);
  check('hit features highlighted', pasted.hits > 0 && hit > 0, `${hit} rendered with state hit of ${pasted.hits}`);
  await shot(page, '04-paste-report');

  // 6. Supervision: the planted patch with its evidence; a field check that survives a reload.
  await page.click('#tabs [data-tab=supervision]');
  await page.waitForSelector(`#sv-list button[data-key="${cfg.patch.key}"]`, { timeout: 120000 });
  await page.click(`#sv-list button[data-key="${cfg.patch.key}"]`);
  await page.waitForSelector(`.patch-detail[data-id="${cfg.patch.id}"]`);
  const ev = await page.textContent('.patch-detail .evidence');
  const missing = cfg.patch.evidence.filter((e) => !ev.includes(`#${e.id}`));
  check('patch opens with its evidence', missing.length === 0, missing.length ? `missing ${JSON.stringify(missing)}` : `${cfg.patch.evidence.length} evidence features`);
  const comment = `浏览器测试 ${Date.now()}`;
  await page.selectOption('#ck-result', 'confirmed_illegal');
  await page.fill('#ck-comment', comment);
  await page.click('.patch-detail form button[type=submit]');
  await page.waitForFunction((c) => document.querySelector('.patch-detail .checks')?.textContent.includes(c), comment);
  await shot(page, '05-supervision');
  await page.reload();
  await page.waitForFunction(() => window.onemap && window.onemap.firstIdle);
  await page.click('#tabs [data-tab=supervision]');
  await page.waitForSelector(`#sv-list button[data-key="${cfg.patch.key}"]`);
  const listed = await page.textContent(`#sv-list button[data-key="${cfg.patch.key}"]`);
  await page.click(`#sv-list button[data-key="${cfg.patch.key}"]`);
  await page.waitForSelector(`.patch-detail[data-id="${cfg.patch.id}"] .checks`);
  const hist = await page.textContent('.patch-detail .checks');
  check('field check there after a reload', hist.includes(comment) && listed.includes('核实违法'), comment);

  // 7. Statistics.
  await page.click('#tabs [data-tab=stats]');
  await page.waitForFunction(() => window.onemap.charts && window.onemap.charts.length === 2, null, { timeout: 60000 });
  await page.waitForTimeout(300);
  await shot(page, '06-stats');
  check('statistics charts drawn', true);

  // 8. Search by a parcel number.
  await page.fill('#search-q', cfg.parcel.tbbh);
  await page.click('#search button[type=submit]');
  await page.waitForSelector('#search-results button');
  const found = await page.textContent('#search-results');
  check('search finds the parcel number', found.includes(cfg.parcel.tbbh), found.slice(0, 80));
  await page.keyboard.press('Escape');

  // 9. Place names: no name drawn twice (a township's seat and the
  // township itself) at the zooms where both layers label.
  for (const zoom of [9.5, 11, 13, 14.5]) {
    await page.evaluate(([lon, lat, z]) => window.onemap.map.jumpTo({ center: [lon, lat], zoom: z }), [cfg.parcel.lon, cfg.parcel.lat, zoom]);
    await idle();
    const names = await page.evaluate(() => {
      const m = window.onemap.map;
      const pick = (layer, field) => m.queryRenderedFeatures({ layers: [layer] }).map((f) => String(f.properties[field]));
      return { xzq: pick('xzq-label', 'XZQMC'), jmd: pick('jmd-label', 'MC') };
    });
    const twice = [...new Set(names.jmd.filter((n) => names.xzq.includes(n)))];
    check(`z${zoom}: no place named twice`, twice.length === 0 && names.xzq.length + names.jmd.length > 0,
      `${names.xzq.length} admin and ${names.jmd.length} settlement labels${twice.length ? `; twice: ${twice.slice(0, 3).join(', ')}` : ''}`);
  }

  // 10. Keyboard: the tabs and the layer checkboxes take the focus.
  await page.focus('#tabs [data-tab=layers]');
  await page.keyboard.press('Enter');
  await page.focus('#chk-jmd');
  await page.keyboard.press('Space');
  const jmd = await page.evaluate(() => window.onemap.map.getLayoutProperty('jmd-circle', 'visibility'));
  check('keyboard toggles a layer', jmd === 'none', jmd);
  await page.keyboard.press('Space');

  // 11. Login shows the restricted layers.
  const lockedBefore = await page.$('#chk-bdcdj');
  await page.click('#login-btn');
  await page.fill('#login-user', 'admin');
  await page.fill('#login-pass', 'demo-admin');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#chk-bdcdj', { timeout: 60000 });
  await page.waitForFunction(() => window.onemap && window.onemap.firstIdle);
  const who = await page.textContent('#who');
  check('login shows the restricted layers', !lockedBefore && who.includes('admin'), who);
  await shot(page, '07-login');
} catch (e) {
  failures.push(`error: ${e.message}`);
  console.error(e);
  await shot(page, '99-failure').catch(() => {});
} finally {
  result.console = consoleProblems;
  result.gl_driver_notes = driverNotes.length;
  check('no console errors or warnings', consoleProblems.length === 0, consoleProblems.slice(0, 5).join(' | '));
  await ctx.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
// The first idle once more, in a fresh browser, now that the server has
// built its overview tiles (the first load above may wait for them).
try {
  const dir2 = mkdtempSync(join(tmpdir(), 'onemap-chromium-'));
  const ctx2 = await chromium.launchPersistentContext(dir2, {
    executablePath: cfg.chromium, headless: true, viewport: { width: 1366, height: 768 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const p2 = ctx2.pages()[0] || await ctx2.newPage();
  await p2.goto(`${cfg.base}/`);
  await p2.waitForFunction(() => window.onemap && window.onemap.firstIdle, null, { timeout: 120000 });
  result.first_idle_fresh_browser_ms = Math.round(await p2.evaluate(() => window.onemap.firstIdle));
  await ctx2.close();
  rmSync(dir2, { recursive: true, force: true });
} catch (e) {
  failures.push(`second load: ${e.message}`);
}
result.failures = failures;
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(failures.length ? 1 : 0);
