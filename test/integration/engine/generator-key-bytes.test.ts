// --key-bytes N pads every generator key with '_' to N bytes and changes
// nothing else: `sabre generate` prints the same records with longer keys, and
// a run's windows are the same per (padded) key as the unpadded run's, although
// the padded keys hash to other partitions. Needs the build (bin/sabre.js).
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createEngine, type WindowResult } from '../../../dist/src/index.js';
import { resolveOptions, optionsHelp } from '../../../dist/src/options.js';

function sabre(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/sabre.js', ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const unpad = (k: string): string => k.replace(/_+$/, '');

async function windows(keyBytes: number): Promise<WindowResult[]> {
  const engine = createEngine({
    source: 'generator', count: 30_000, keys: 300, seed: 9, keyBytes, partitions: 3, workers: 1,
    sink: 'null', lateOutput: 'null', deadLetter: 'null', progress: 0, httpPort: 0,
  });
  const out: WindowResult[] = [];
  engine.onResult((r) => out.push({ ...r }));
  await engine.start();
  const s = await engine.done;
  expect(s.recordsProcessed).toBe(30_000);
  expect(s.late).toBe(0);
  return out;
}

const line = (r: WindowResult, key: string): string => JSON.stringify({ ...r, key });

describe('generator --key-bytes', () => {
  it('sabre generate --key-bytes 64: every key is 64 bytes, the records otherwise the unpadded ones', async () => {
    const padded = await sabre(['generate', '--count', '3000', '--keys', '500', '--key-bytes', '64']);
    const plain = await sabre(['generate', '--count', '3000', '--keys', '500']);
    expect(padded.code).toBe(0);
    const a = padded.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const b = plain.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toHaveLength(3000);
    for (const r of a) {
      expect(Buffer.byteLength(r.key as string)).toBe(64);
      expect(r.key).toMatch(/^SYM\d+_+$/);
    }
    expect(a.map((r) => ({ ...r, key: unpad(r.key as string) }))).toEqual(b);
    expect(new Set(a.map((r) => r.key)).size).toBe(new Set(b.map((r) => r.key)).size);
  });

  it('a run gives the same windows per padded key as the unpadded run', async () => {
    const plain = await windows(0);
    const padded = await windows(200);
    expect(plain.length).toBeGreaterThan(300);
    for (const r of padded) expect(Buffer.byteLength(r.key)).toBe(200);
    expect(padded.map((r) => line(r, unpad(r.key))).sort()).toEqual(plain.map((r) => line(r, r.key)).sort());
  }, 60_000);

  it('is validated with the options: never shorter than a key, always fits a ring frame', async () => {
    expect(resolveOptions({ keyBytes: 64 }).keyBytes).toBe(64);
    expect(resolveOptions({}).keyBytes).toBe(0);
    const code = (raw: Parameters<typeof resolveOptions>[0]): unknown => {
      try { resolveOptions(raw); return 'ok'; } catch (e) { return (e as { code?: string }).code; }
    };
    expect(code({ keyBytes: 8, keys: 100_000 })).toBe('ok'); // "SYM99999" is 8 bytes
    expect(code({ keyBytes: 7, keys: 100_000 })).toBe('ERR_INVALID_OPTION');
    expect(code({ keyBytes: -1 })).toBe('ERR_INVALID_OPTION');
    expect(code({ keyBytes: 1024, ringSize: '4KiB' })).toBe('ERR_INVALID_OPTION');
    expect(code({ keyBytes: 1024, ringSize: '8KiB' })).toBe('ok');
    expect(() => resolveOptions({ keyBytes: 1024, ringSize: '4KiB' })).toThrow(/raise --ring-size to 8192/);
    expect(optionsHelp()).toMatch(/--key-bytes .*pad every key/);
    const produce = await sabre(['produce', 'some-topic', '--key-bytes', '64']);
    expect(produce.code).not.toBe(0);
    expect(produce.stderr).toMatch(/ERR_INVALID_OPTION: --key-bytes/);
  });
});
