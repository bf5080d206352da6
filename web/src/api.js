// Calls to onemap's API: JSON in and out, the session's CSRF token on
// writes, and patience with 503 answers that carry Retry-After (the index
// loading, verdicts computing, overview tiles being built after start).

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)onemap_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

/** retryAfter is how long a 503 asks us to wait (ms), capped at cap. */
function retryAfter(res, cap) {
  const s = Number(res.headers.get('Retry-After'));
  return Math.min(Number.isFinite(s) && s > 0 ? s * 1000 : 1000, cap);
}

/**
 * fetchRetry fetches, waiting and trying again while the answer is a 503
 * with Retry-After (at most `tries` times, waiting at most maxWait ms
 * each: overview tiles are built within a second or two of start, and a
 * tile is cheap to ask again).
 */
export async function fetchRetry(url, init = {}, tries = 60, maxWait = 5000) {
  const headers = new Headers(init.headers || {});
  const method = (init.method || 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    const t = csrf();
    if (t) headers.set('X-CSRF-Token', t);
  }
  for (let i = 0; ; i++) {
    const res = await fetch(url, { credentials: 'same-origin', ...init, headers });
    if (res.status !== 503 || !res.headers.has('Retry-After') || i >= tries) return res;
    await sleep(retryAfter(res, maxWait));
  }
}

/** ApiError is an answer of the API that is not a success. */
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** api calls the JSON API and returns the decoded answer, or throws ApiError. */
export async function api(path, { method = 'GET', body, headers = {}, raw = false, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, signal };
  if (body !== undefined) {
    if (typeof body === 'string') {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }
  const res = await fetchRetry(path, init);
  if (raw) {
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return res;
  }
  if (res.status === 204) return null;
  if (!res.ok) throw new ApiError(res.status, await errorText(res));
  return res.json();
}

async function errorText(res) {
  try {
    const j = await res.json();
    return (j.error && j.error.message) || res.statusText;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

/** fmt formats a number with grouping and a fixed number of decimals. */
export function fmt(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Number(v).toLocaleString('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** el builds an element: el('td', {class: 'n'}, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** boundsOf is the [[minx, miny], [maxx, maxy]] of a GeoJSON geometry. */
export function boundsOf(g) {
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      minx = Math.min(minx, c[0]); maxx = Math.max(maxx, c[0]);
      miny = Math.min(miny, c[1]); maxy = Math.max(maxy, c[1]);
    } else c.forEach(walk);
  };
  if (g.type === 'GeometryCollection') g.geometries.forEach((x) => walk(x.coordinates));
  else walk(g.coordinates);
  return [[minx, miny], [maxx, maxy]];
}
