import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { checkpointPath, loadVerified, writeManifest, type Manifest } from '../../../dist/src/checkpoint/manifest.js';

// A manifest carries its own checksum: any value changed after it was written (the JSON still valid)
// makes it ERR_CHECKPOINT_CORRUPT, like a corrupt snapshot. The restore fallback to the previous
// checkpoint is tested end to end in checkpoint-kill.test.ts.
const manifest = (id: number): Manifest => ({
  format: 'sabre-checkpoint', version: 1, id, completedAt: '2026-12-02T10:00:00.000Z', durationMs: 12.345678,
  job: '0123456789abcdef', keyGroups: 128, partitions: 4, workers: 1,
  sources: [{ name: 'file:/data/in.ndjson', position: { bytes: 123456789, lines: 1000000 } }],
  snapshots: [], final: false,
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every leaf of a JSON value, as a path of keys. */
function leaves(v: Json, path: (string | number)[] = []): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => leaves(x as Json, [...path, Array.isArray(v) ? Number(k) : k]));
  }
  return [path];
}

function alter(doc: Record<string, Json>, path: (string | number)[]): void {
  let o = doc as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, Json>;
  const k = path[path.length - 1]!;
  const x = o[k];
  o[k] = typeof x === 'number' ? x + 1 : typeof x === 'boolean' ? !x : typeof x === 'string' ? `${x}0` : 0;
}

describe('manifest checksum', () => {
  it('a manifest as written loads; changing any one value in it is detected', () => {
    const dir = tmpDir();
    const path = writeManifest(dir, manifest(7));
    expect(path).toBe(join(checkpointPath(dir, 7), 'manifest.json'));
    expect(loadVerified(path).manifest).toEqual(manifest(7));
    const written = readFileSync(path, 'utf8');
    const paths = leaves(JSON.parse(written)).filter((p) => p[0] !== 'checksum');
    expect(paths.length).toBe(13); // every field of manifest(), each source's name and position
    for (const p of paths) {
      const doc = JSON.parse(written);
      alter(doc, p);
      writeFileSync(path, JSON.stringify(doc, null, 2));
      let code: string | undefined;
      try { loadVerified(path); } catch (e) { code = (e as { code: string }).code; }
      expect(code, `altering ${p.join('.')} went unnoticed`).toBe('ERR_CHECKPOINT_CORRUPT');
    }
    // Structural changes too: a field removed or added, an entry dropped.
    const structural: ((d: Record<string, Json>) => void)[] = [
      (d) => { delete d.final; },
      (d) => { d.restoredFrom = 3; },
      (d) => { d.sources = []; },
      (d) => { (d.sources as Json[]).push({ name: 'generator', position: { records: 5 } }); },
    ];
    for (const change of structural) {
      const doc = JSON.parse(written);
      change(doc);
      writeFileSync(path, JSON.stringify(doc, null, 2));
      expect(() => loadVerified(path)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }));
    }
    // Reformatting alone (whitespace) changes no value: still valid.
    writeFileSync(path, JSON.stringify(JSON.parse(written)));
    expect(loadVerified(path).manifest).toEqual(manifest(7));
  });

  it('a manifest without its checksum, or with another one, is corrupt', () => {
    const dir = tmpDir();
    const path = writeManifest(dir, manifest(3));
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    const other = JSON.parse(readFileSync(writeManifest(dir, manifest(4)), 'utf8'));
    for (const bad of [{ ...doc, checksum: undefined }, { ...doc, checksum: other.checksum }]) {
      writeFileSync(path, JSON.stringify(bad));
      expect(() => loadVerified(path)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }));
    }
  });
});

describe('job fingerprint', () => {
  it("covers the generator's settings (another sequence is another job), and only for the generator", async () => {
    const { jobFingerprint } = await import('../../../dist/src/checkpoint/manifest.js');
    const { resolveOptions } = await import('../../../dist/src/options.js');
    const fp = (o: Record<string, unknown>) => jobFingerprint(resolveOptions({ sink: 'null', ...o }));
    const base = fp({ source: 'generator', keys: 100 });
    expect(fp({ source: 'generator', keys: 100 })).toBe(base);
    for (const change of [{ keys: 101 }, { seed: 2 }, { disorder: 7 }, { eventsPerMs: 10 }, { generator: 'cards' }, { keyBytes: 32 }]) {
      expect(fp({ source: 'generator', keys: 100, ...change })).not.toBe(base);
    }
    // Settings that do not change the input or the state keep the job: partitions, workers, rate.
    expect(fp({ source: 'generator', keys: 100, partitions: 8, workers: 2, rate: 1000 })).toBe(base);
    // A file job does not depend on generator options.
    expect(fp({ source: 'file:/x.ndjson', keys: 5 })).toBe(fp({ source: 'file:/x.ndjson', keys: 6 }));
  });
});

describe('a job module\'s checkpoint fingerprint', () => {
  it('a checkpoint fingerprinted without the job\'s state shape (an older Sabre) is refused as such, not as another job', async () => {
    const { resolveOptions } = await import('../../../dist/src/options.js');
    const { findRestorePoint, jobFingerprint } = await import('../../../dist/src/checkpoint/manifest.js');
    const dir = tmpDir();
    const base = resolveOptions({ job: 'job.mjs', checkpointDir: dir, restore: 'latest' });
    const o = { ...base, jobShape: '{"fields":[]}' };
    writeManifest(dir, { ...manifest(3), job: jobFingerprint({ ...o, jobShape: undefined }) });
    expect(() => findRestorePoint(o)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/did not record the shape/) }));
    writeManifest(dir, { ...manifest(4), job: jobFingerprint({ ...o, jobShape: '{"fields":[["x","number"]]}' }) });
    expect(() => findRestorePoint(o)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/is of another job/) }));
    writeManifest(dir, { ...manifest(5), job: jobFingerprint(o) });
    expect(findRestorePoint(o)?.manifest.id).toBe(5);
  });
});
