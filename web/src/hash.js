// The view in the URL hash, so that a view can be shared:
// #map=zoom/lat/lon&layers=a,b,c
export function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const out = {};
  const m = (p.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite)) {
    out.zoom = m[0];
    out.center = [m[2], m[1]];
  }
  if (p.has('layers')) out.layers = p.get('layers').split(',').filter(Boolean);
  return out;
}

export function writeHash(map, visible) {
  const c = map.getCenter();
  const z = map.getZoom();
  const h = `map=${z.toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}&layers=${[...visible].join(',')}`;
  if (location.hash.slice(1) !== h) history.replaceState(null, '', `#${h}`);
}
