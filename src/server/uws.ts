// uWebSockets.js, loaded with require(): the package is CommonJS whose
// exports are either the native addon or (on an unsupported Node ABI, or
// with UWS_USE_FALLBACK) a pure-Node fallback that also carries an
// __esModule `default` with fewer functions. An ESM default import can land
// on that `default` under bundler-style interop (vitest), so require() it:
// it always yields module.exports. src/metrics/uws-impl.ts reports which one.
import { createRequire } from 'node:module';

export type Uws = typeof import('uWebSockets.js');

export const uws: Uws = createRequire(import.meta.url)('uWebSockets.js') as Uws;
