// The dashboard page and its assets, read once at start-up (a few hundred KB)
// and served from memory. The dashboard files are plain browser JS/CSS/HTML
// that tsc does not copy, so they are read from the source tree, resolved
// from this compiled file (dist/src/server/ → src/server/dashboard/); a copy
// next to the compiled file (dist/src/server/dashboard/) wins if present.
// uPlot comes from node_modules/uplot/dist: no CDN, the page works offline.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TemplatedApp } from 'uWebSockets.js';
import { methodNotAllowed, send } from './respond.js';

interface Asset {
  path: string;
  file: string;
  type: string;
}

export function dashboardDir(): string {
  const beside = fileURLToPath(new URL('./dashboard/', import.meta.url));
  if (existsSync(`${beside}index.html`)) return beside;
  return fileURLToPath(new URL('../../../src/server/dashboard/', import.meta.url));
}

function assets(): Asset[] {
  const dir = dashboardDir();
  const require = createRequire(import.meta.url);
  return [
    { path: '/', file: `${dir}index.html`, type: 'text/html; charset=utf-8' },
    { path: '/assets/dashboard.js', file: `${dir}dashboard.js`, type: 'text/javascript; charset=utf-8' },
    { path: '/assets/dashboard.css', file: `${dir}dashboard.css`, type: 'text/css; charset=utf-8' },
    { path: '/assets/uPlot.iife.min.js', file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
    { path: '/assets/uPlot.min.css', file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  ];
}

export function addStaticRoutes(app: TemplatedApp): void {
  for (const a of assets()) {
    const body = readFileSync(a.file);
    app.get(a.path, (res) => send(res, '200 OK', a.type, body, { 'Cache-Control': 'no-cache' }));
    app.any(a.path, (res) => methodNotAllowed(res));
  }
}
