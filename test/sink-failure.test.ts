import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './helpers/engine-run.js';
import { completeCheckpoints, runSabre } from './helpers/sabre-process.js';

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
});
