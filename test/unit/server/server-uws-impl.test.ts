// The uWebSockets.js loader (src/metrics/uws-impl.ts): this run gets the
// implementation it expects (CI sets SABRE_EXPECT_UWS per Node, so a silent
// drop to the fallback fails here); SABRE_UWS_BINARY loads a given native
// build; a missing or broken one falls back with the reason, and no path
// prints anything of its own.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { detectUws, uwsBinaryName } from '../../../dist/src/metrics/uws-impl.js';
import { expectedUws } from '../../helpers/expected-uws.js';

const shipped = resolve('node_modules/uWebSockets.js/binaries', uwsBinaryName());

/** detectUws() and the exported App's type in a fresh process with `env` added. */
function loadIn(env: Record<string, string>): { info: { implementation: string; binary: string; detail: string }; app: string; stdout: string; stderr: string } {
  const code = `import { detectUws } from './dist/src/metrics/uws-impl.js';
    import { uws } from './dist/src/server/uws.js';
    const app = uws.App(); console.log('@@' + JSON.stringify({ info: detectUws(), app: typeof app.get }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, UWS_USE_FALLBACK: '', SABRE_UWS_BINARY: '', ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@'))!;
  return { ...JSON.parse(line.slice(2)), stdout: r.stdout.replace(line, '').trim(), stderr: r.stderr.trim() };
}

describe('uWebSockets.js implementation', () => {
  it(`this run gets the one it expects (SABRE_EXPECT_UWS=${process.env.SABRE_EXPECT_UWS ?? 'unset'})`, () => {
    const info = detectUws();
    expect(info.implementation, `${info.binary}: ${info.detail}`).toBe(expectedUws());
    if (info.implementation === 'native') expect(info.detail).toBe('loaded');
  });

  // Node 22/24: the package ships no binary for their ABI, so there is none to copy; the run must then be on the fallback.
  const hasShipped = existsSync(shipped);
  it(hasShipped ? 'SABRE_UWS_BINARY loads the native build it names' : `no shipped ${uwsBinaryName()}: the fallback runs`, () => {
    if (!hasShipped) {
      expect(detectUws().implementation).toBe('fallback');
      return;
    }
    const own = join(mkdtempSync(join(tmpdir(), 'sabre-uws-')), uwsBinaryName());
    copyFileSync(shipped, own);
    const r = loadIn({ SABRE_UWS_BINARY: own });
    expect(r.info).toEqual({ implementation: 'native', binary: own, detail: 'loaded' });
    expect(r.app).toBe('function');
    expect(r.stderr).toBe('');
  });

  it('SABRE_UWS_BINARY naming no file, or a file that is no addon: the fallback, with the reason, and nothing printed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sabre-uws-'));
    const missing = loadIn({ SABRE_UWS_BINARY: join(dir, 'none.node') });
    expect(missing.info).toEqual({ implementation: 'fallback', binary: join(dir, 'none.node'), detail: `SABRE_UWS_BINARY names no file: ${join(dir, 'none.node')}` });
    const junk = join(dir, uwsBinaryName());
    writeFileSync(junk, 'not an ELF file');
    const broken = loadIn({ SABRE_UWS_BINARY: junk });
    expect(broken.info.implementation).toBe('fallback');
    expect(broken.info.detail).toMatch(/^SABRE_UWS_BINARY: .+/);
    for (const r of [missing, broken]) {
      expect(r.app).toBe('function'); // the fallback serves the same API
      expect([r.stdout, r.stderr]).toEqual(['', '']);
    }
  });

  it('UWS_USE_FALLBACK wins over everything, and prints nothing', () => {
    const r = loadIn({ UWS_USE_FALLBACK: '1', SABRE_UWS_BINARY: shipped });
    expect(r.info).toMatchObject({ implementation: 'fallback', detail: 'UWS_USE_FALLBACK is set' });
    expect([r.stdout, r.stderr]).toEqual(['', '']);
  });
});
