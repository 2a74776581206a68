import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { completeCheckpoints, startSabre, waitFor } from '../../helpers/sabre-process.js';

// --checkpoints-retained N keeps exactly the newest N complete checkpoints on disk (default 3), whatever
// number the run took; while it runs there are never more than N + 1 (the newest is written before the
// oldest is pruned).
async function retainedAfter(retained: number | undefined): Promise<{ cp: string; kept: number[]; dirs: string[]; taken: number }> {
  const cp = join(tmpDir(), 'cp');
  const n = retained ?? 3;
  const run = startSabre(['run', '--source', 'generator', '--rate', '100000', '--keys', '1000', '--window', 'tumbling:1s', '--sink', 'null', '--workers', '1',
    '--http-port', '0', '--progress', '0', '--checkpoint-dir', cp, '--checkpoint-interval', '50ms',
    ...(retained === undefined ? [] : ['--checkpoints-retained', String(retained)])]);
  let most = 0;
  // Run until it took N + 3 checkpoints, so N + 3 - N were pruned; then SIGTERM takes one more.
  await waitFor(`checkpoint ${n + 3}`, () => {
    const ms = completeCheckpoints(cp);
    most = Math.max(most, ms.length);
    return (ms[0]?.id ?? 0) >= n + 3;
  }, run);
  run.child.kill('SIGTERM');
  const e = await run.exit;
  expect(e.code, e.stderr).toBe(0);
  expect(most).toBeLessThanOrEqual(n + 1);
  const taken = Number(/(\d+) checkpoints \(last/.exec(e.stderr)?.[1]);
  return { cp, kept: completeCheckpoints(cp).map((m) => m.id), dirs: readdirSync(cp).sort(), taken };
}

const chk = (id: number): string => `chk-${String(id).padStart(8, '0')}`;

describe('--checkpoints-retained', () => {
  for (const retained of [1, 4, undefined]) {
    it(`${retained ?? 'default (3)'}: exactly the newest ${retained ?? 3} complete checkpoints stay on disk, nothing else`, async () => {
      const n = retained ?? 3;
      const { cp, kept, dirs, taken } = await retainedAfter(retained);
      expect(taken).toBeGreaterThanOrEqual(n + 3);
      // Ids are 1, 2, … in this fresh dir: the newest is the final one (the SIGTERM checkpoint), the kept ones are consecutive below it.
      const newest = kept[0]!;
      expect(newest).toBe(taken);
      expect(kept).toEqual(Array.from({ length: n }, (_, i) => newest - i));
      // No other checkpoint directory (older, or abandoned without a manifest) and no temp file is left.
      expect(dirs).toEqual(kept.map(chk).sort());
      for (const id of kept) expect(readdirSync(join(cp, chk(id))).sort()).toEqual(['manifest.json', 'worker-0.snap']);
    }, 60_000);
  }
});
