import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { completeCheckpoints, runSabre, waitFor } from '../../helpers/sabre-process.js';
import { createEngine } from '../../../dist/src/index.js';

// A sink that fails mid-run (here /dev/full: every write is ENOSPC) fails the run with one line, code ERR_SINK,
// naming the target and the cause; and no checkpoint completes, the final one included, while output before
// its barrier did not reach its target (issue 13, items 4 and 6).
const JOB = ['--window', 'tumbling:10ms', '--http-port', '0', '--progress', '0', '--workers', '2'];
const FULL = '/dev/full';

describe.skipIf(!existsSync(FULL))('a sink that fails mid-run', () => {
  it('--sink file:/dev/full: one line with ERR_SINK, the path and ENOSPC; exit non-zero', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, Array.from({ length: 2000 }, (_, i) => `{"key":"k${i % 7}","ts":${i}}\n`).join(''));
    const r = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${FULL}`, '--agg', 'count', ...JOB]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.signal).toBeNull();
    const errors = r.stderr.trim().split('\n').filter((l) => !l.startsWith('[sabre] '));
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/^sabre: ERR_SINK: /);
    expect(errors[0]).toContain(FULL);
    expect(errors[0]).toContain('ENOSPC');
  });

  it('--dead-letter file:/dev/full with --checkpoint-dir: ERR_SINK and no checkpoint completes', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    // Every tenth line is not JSON: it goes to the dead-letter output, which cannot take it.
    writeFileSync(input, Array.from({ length: 2000 }, (_, i) => (i % 10 === 0 ? 'not json\n' : `{"key":"k${i % 7}","ts":${i}}\n`)).join(''));
    const state = join(dir, 'state');
    const r = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${join(dir, 'windows.ndjson')}`, '--agg', 'count',
      '--dead-letter', `file:${FULL}`, '--checkpoint-dir', state, '--checkpoint-interval', '10ms', ...JOB]);
    expect(r.code, r.stderr).not.toBe(0);
    const errors = r.stderr.trim().split('\n').filter((l) => !l.startsWith('[sabre] '));
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/^sabre: ERR_SINK: .*--dead-letter.*\/dev\/full.*ENOSPC/);
    expect(completeCheckpoints(state)).toEqual([]);
  });

  it('the file sink\'s directory removed mid-run, checkpoints on: the run fails with ERR_SINK, and no checkpoint completes after', async () => {
    const dir = tmpDir();
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    const cp = join(dir, 'cp');
    const engine = createEngine({
      source: 'api', sink: `file:${join(outDir, 'windows.ndjson')}`, lateOutput: 'null', deadLetter: 'null', agg: 'count',
      window: 'tumbling:10', outOfOrderness: 0, checkpointDir: cp, checkpointInterval: 20, partitions: 1, workers: 1, progress: 0, httpPort: 0,
    });
    await engine.start();
    let ts = 0;
    let failure: unknown;
    engine.done.catch((e: unknown) => { failure = e; });
    const feed = async (): Promise<void> => {
      // A window fires every 10 records: every epoch has results, so every checkpoint has a part to flush.
      while (failure === undefined) {
        try {
          await engine.write({ key: 'k', ts: ts++ });
        } catch {
          return;
        }
        if (ts % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    };
    const fed = feed();
    await waitFor('a committed part', () => readdirSync(outDir).some((f) => /\.part-\d+$/.test(f)));
    rmSync(outDir, { recursive: true });
    await waitFor('the run to fail', () => failure !== undefined);
    await fed;
    expect((failure as { code?: string }).code, String(failure)).toBe('ERR_SINK');
    expect(String((failure as Error).message)).toContain(outDir);
    const newest = completeCheckpoints(cp)[0]?.id ?? 0;
    await new Promise((r) => setTimeout(r, 200)); // ten checkpoint intervals: none completes any more
    expect(completeCheckpoints(cp)[0]?.id ?? 0).toBe(newest);
  });
});
