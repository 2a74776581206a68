// A job module's checkpoint carries the shape of its state (job/plan-shape.ts)
// in its fingerprint: restoring it into the job edited so its state differs
// (here: an aggregate added) is refused with ERR_INVALID_OPTION before
// anything runs, as another job's checkpoint is; an edit that keeps the state
// (a filter's threshold) still restores.
import { describe, expect, it, beforeAll } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpDir } from '../../helpers/engine-run.js';
import { completeCheckpoints, runSabre } from '../../helpers/sabre-process.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;
const COMMON = ['--http-port', '0', '--progress', '0', '--dead-letter', 'null'];
let dir: string;
let cp: string;

/** The job file: windows of count (and sum when `sum`) per k, after a filter keeping v >= min. */
function writeJob(name: string, o: { sum: boolean; min: number }): string {
  const path = join(dir, name);
  writeFileSync(path, `import { job, file, toFile, tumbling, count, sum } from '${SABRE}';
export default job({
  source: file(${JSON.stringify(join(dir, 'in.ndjson'))}, { time: 't', fields: { k: 'string', t: 'time', v: 'number' } }),
  sink: toFile(${JSON.stringify(join(dir, `${name}.out.ndjson`))}),
}).filter((r) => r.v >= ${o.min}).keyBy('k').window(tumbling('1s')).aggregate({ n: count()${o.sum ? ", s: sum('v')" : ''} });
`);
  return path;
}

beforeAll(async () => {
  dir = tmpDir();
  writeFileSync(join(dir, 'in.ndjson'), Array.from({ length: 5000 }, (_, i) => JSON.stringify({ k: `k${i % 20}`, t: 1_700_000_000_000 + i * 10, v: i % 13 })).join('\n') + '\n');
  cp = join(dir, 'cp');
  const r = await runSabre(['run', '--job', writeJob('a.mjs', { sum: false, min: 0 }), '--checkpoint-dir', cp, ...COMMON]);
  expect(r.code, r.stderr).toBe(0);
  expect(completeCheckpoints(cp).length).toBeGreaterThanOrEqual(1);
}, 60_000);

describe('a job module\'s checkpoint and the job edited', () => {
  it('an aggregate added: ERR_INVALID_OPTION naming the job module\'s state, nothing restored or written', async () => {
    const before = readdirSync(cp).sort();
    const e = await runSabre(['run', '--job', writeJob('b.mjs', { sum: true, min: 0 }), '--checkpoint-dir', cp, '--restore', 'latest', ...COMMON]);
    expect(e.code, e.stderr).toBe(1);
    expect(e.stderr.trim().split('\n').pop()).toMatch(/^sabre: ERR_INVALID_OPTION: .*is of another job.*job module's fields, key, windows, aggregates or process state/);
    expect(e.stderr).not.toContain('restored from checkpoint');
    expect(readdirSync(dir)).not.toContain('b.mjs.out.ndjson');
    expect(readdirSync(cp).sort()).toEqual(before);
  }, 60_000);

  it('a filter\'s threshold changed: the state keeps its shape, and the checkpoint restores', async () => {
    const e = await runSabre(['run', '--job', writeJob('c.mjs', { sum: false, min: 1 }), '--checkpoint-dir', cp, '--restore', 'latest', ...COMMON]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain('restored from checkpoint');
  }, 60_000);
});
