// The uWebSockets.js implementation a test run must get. CI names it per Node
// with SABRE_EXPECT_UWS=native|fallback, so a run that silently lands on the
// slow fallback fails; without it, what the loader's rules give on this Node
// (src/metrics/uws-impl.ts: the flag, SABRE_UWS_BINARY, the package's binary).
import { existsSync } from 'node:fs';
import type { UwsImplementation } from '../../dist/src/metrics/stats-snapshot.js';

export function expectedUws(): UwsImplementation {
  const want = process.env.SABRE_EXPECT_UWS;
  if (want === 'native' || want === 'fallback') return want;
  if (want) throw new Error(`SABRE_EXPECT_UWS must be native or fallback, got '${want}'`);
  if (['1', 'true', 'True', 'TRUE'].includes(process.env.UWS_USE_FALLBACK ?? '')) return 'fallback';
  const binary = process.env.SABRE_UWS_BINARY
    ?? `node_modules/uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  return existsSync(binary) ? 'native' : 'fallback';
}
