// Builds the map page into dist/ (or the folder given): the bundle from
// src/ with the pinned esbuild, the page, MapLibre's worker and the font.
// Deterministic: the same sources and versions give the same bytes, which
// TestBundleMatchesSources (web_test.go) checks against the committed dist/.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'fonts'), { recursive: true });

await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'esm',
  splitting: true,
  minify: true,
  target: ['es2022'],
  outdir: out,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
  loader: { '.woff2': 'file' },
  external: ['/web/fonts/*'],
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs'), join(out, 'maplibre-gl-worker.mjs'));
copyFileSync(join(here, 'src/fonts/NotoSansSC-onemap.woff2'), join(out, 'fonts/NotoSansSC-onemap.woff2'));
