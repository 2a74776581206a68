import { describe, expect, it, beforeAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { completeCheckpoints, startSabre, waitFor, type Running } from '../../helpers/sabre-process.js';

// A second SIGINT while the first one drains exits at once with 130. The drain is made long on purpose:
// a user aggregate that spends 50 µs per record behind full 4 MiB rings leaves seconds of backlog, and a
// drain (with checkpoints: into a final checkpoint) must process it all before it can finish.
let dir: string;
let job: string[];

beforeAll(() => {
  dir = tmpDir();
  const agg = join(dir, 'slow-agg.mjs');
  writeFileSync(agg, `export default { name: 'slow', init: () => 0, add: (a, v) => {
  const t = performance.now(); while (performance.now() - t < 0.05); return a + 1; }, merge: (a, b) => a + b, result: (a) => a };\n`);
  job = ['run', '--source', 'generator', '--keys', '100', '--window', 'tumbling:1s', '--agg', 'count,slow', '--aggregate-module', agg,
    '--sink', 'null', '--partitions', '1', '--workers', '1', '--ring-size', '4MiB', '--http-port', '0', '--progress', '100ms'];
});

/** Wait until the run's ring is more than half full (a progress line says so): the drain has seconds of work. */
async function backlogged(run: Running): Promise<void> {
  await waitFor('a ring more than half full', () => [...run.stderr().matchAll(/ring-max (\d+)%/g)].some((m) => Number(m[1]) >= 50), run);
}

describe('SIGINT twice', () => {
  it('with checkpoints: one SIGINT drains into a final checkpoint and exits 0; a second one during the drain exits 130 at once, before it', async () => {
    // Control: one SIGINT. The drain completes, writes the final checkpoint, and the process exits 0.
    const cpOne = join(dir, 'one-cp');
    const one = startSabre([...job, '--checkpoint-dir', cpOne, '--checkpoint-interval', '1h']);
    await backlogged(one);
    const d0 = Date.now();
    one.child.kill('SIGINT');
    const e1 = await one.exit;
    const drainMs = Date.now() - d0;
    expect(e1.code, e1.stderr).toBe(0);
    expect(e1.stderr).toContain('draining into a final checkpoint');
    expect(completeCheckpoints(cpOne).length).toBe(1);

    // Two: the second SIGINT lands while the drain is still working through the backlog.
    const cpTwo = join(dir, 'two-cp');
    const two = startSabre([...job, '--checkpoint-dir', cpTwo, '--checkpoint-interval', '1h']);
    await backlogged(two);
    two.child.kill('SIGINT');
    await waitFor('the drain to start', () => two.stderr().includes('draining into a final checkpoint'), two);
    const t0 = Date.now();
    two.child.kill('SIGINT');
    const e2 = await two.exit;
    const exitMs = Date.now() - t0;
    expect(e2.code, e2.stderr).toBe(130);
    expect(e2.signal).toBeNull(); // it exited by itself (process.exit), not killed by the signal's default action
    // At once: the drain never finished, so no final checkpoint was written and no summary printed.
    expect(completeCheckpoints(cpTwo)).toEqual([]);
    expect(e2.stderr).not.toContain('done in');
    process.stderr.write(`[signals] one SIGINT: drained and exited 0 after ${drainMs} ms; two: exit 130 ${exitMs} ms after the second\n`);
  }, 120_000);

  it('without checkpoints: a second SIGINT during the drain (END firing the backlog) exits 130 before the run is done', async () => {
    const run = startSabre(job);
    await backlogged(run);
    run.child.kill('SIGINT');
    await waitFor('the drain to start', () => /SIGINT: draining \(/.test(run.stderr()), run);
    run.child.kill('SIGINT');
    const e = await run.exit;
    expect(e.code, e.stderr).toBe(130);
    expect(e.signal).toBeNull();
    expect(e.stderr).not.toContain('done in');
  }, 60_000);
});
