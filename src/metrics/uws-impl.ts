// Which uWebSockets.js implementation this process runs, decided and loaded
// in this one place (src/server/uws.ts exports what loadUws() returns, and
// detectUws() reports the same decision to the start-up line, /api/stats,
// /metrics and `sabre stats`). In order:
//   1. UWS_USE_FALLBACK=1|true: the package's pure-Node fallback.
//   2. SABRE_UWS_BINARY=/path/uws_<platform>_<arch>_<ABI>.node: that native
//      build (one the package does not ship, e.g. for Node 22/24; it must have
//      the API of the installed package, v20.30).
//   3. The package's own binaries/uws_${platform}_${arch}_${ABI}.node (it
//      ships Node 16/18/20 only: ABI 93/108/115).
//   4. Otherwise, or when the chosen binary fails to load, the fallback, with
//      the reason in `detail`.
// We require the binary or the fallback ourselves rather than the package's
// main file, which prints a warning of its own on every fallback start.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { UwsInfo } from './stats-snapshot.js';

type UwsModule = typeof import('uWebSockets.js');

let loaded: { module: UwsModule; info: UwsInfo } | undefined;

export function uwsBinaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? String(e);
}

/** The uWebSockets.js exports this process uses; loaded once (Node caches the require too). */
export function loadUws(): UwsModule {
  if (loaded) return loaded.module;
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('uWebSockets.js/package.json'));
  // The fallback carries an __esModule `default` with fewer functions; require() yields module.exports.
  const fallback = (binary: string, detail: string): { module: UwsModule; info: UwsInfo } =>
    ({ module: require(join(pkgDir, 'dist', 'index.js')) as UwsModule, info: { implementation: 'fallback', binary, detail } });
  const native = (binary: string, why: string): { module: UwsModule; info: UwsInfo } => {
    try {
      return { module: require(binary) as UwsModule, info: { implementation: 'native', binary, detail: 'loaded' } };
    } catch (e) {
      return fallback(binary, `${why}${firstLine(e)}`);
    }
  };
  const shipped = join(pkgDir, 'binaries', uwsBinaryName());
  const flag = process.env.UWS_USE_FALLBACK;
  const own = process.env.SABRE_UWS_BINARY;
  if (flag === 'true' || flag === 'True' || flag === 'TRUE' || flag === '1') {
    loaded = fallback(shipped, 'UWS_USE_FALLBACK is set');
  } else if (own) {
    const binary = resolve(own);
    loaded = existsSync(binary) ? native(binary, 'SABRE_UWS_BINARY: ') : fallback(binary, `SABRE_UWS_BINARY names no file: ${binary}`);
  } else if (existsSync(shipped)) {
    loaded = native(shipped, '');
  } else {
    loaded = fallback(shipped, `no binary for Node ABI ${process.versions.modules} (${process.version})`);
  }
  return loaded.module;
}

export function detectUws(): UwsInfo {
  loadUws();
  return loaded!.info;
}
