// Which uWebSockets.js implementation this process gets. The package
// (node_modules/uWebSockets.js/src/uws.js) requires
// binaries/uws_${platform}_${arch}_${ABI}.node and, if that is missing or
// fails to load (or UWS_USE_FALLBACK is set), silently falls back to a much
// slower pure-Node implementation. We repeat its decision: the binary is
// loaded by the same require (cached by Node), so asking costs nothing extra.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { UwsInfo } from './stats-snapshot.js';

let cached: UwsInfo | undefined;

export function uwsBinaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

export function detectUws(): UwsInfo {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let binary = uwsBinaryName();
  let info: UwsInfo;
  try {
    const pkgDir = dirname(require.resolve('uWebSockets.js/package.json'));
    binary = join(pkgDir, 'binaries', binary);
    const flag = process.env.UWS_USE_FALLBACK;
    if (flag === 'true' || flag === 'True' || flag === 'TRUE' || flag === '1') {
      info = { implementation: 'fallback', binary, detail: 'UWS_USE_FALLBACK is set' };
    } else if (!existsSync(binary)) {
      info = { implementation: 'fallback', binary, detail: `no binary for Node ABI ${process.versions.modules} (${process.version})` };
    } else {
      require(binary);
      info = { implementation: 'native', binary, detail: 'loaded' };
    }
  } catch (e) {
    info = { implementation: 'fallback', binary, detail: (e as Error).message.split('\n')[0] ?? String(e) };
  }
  cached = info;
  return info;
}
