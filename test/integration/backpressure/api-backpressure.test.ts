// Library API backpressure: with a tiny ring and a deliberately slow worker,
// tryWrite() reports a full ring (false, nothing written) and write() waits
// for space, resolving once the worker drained it. Nothing is lost: the
// results equal the single-threaded reference over every accepted record.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { createEngine } from '../../../dist/src/index.js';
import { canonicalLines, runReference, type RefRecord } from '../../reference/reference-job.js';
import { partitionOf, tmpDir } from '../../helpers/engine-run.js';

const P = 2;

function records(n: number): RefRecord[] {
  // Ten keys, event time rising with a little disorder (within the bound), quarter values (exact sums).
  return Array.from({ length: n }, (_, i) => ({ key: `k${(i * 7) % 10}`, ts: 1_000_000 + i * 2 - ((i * 13) % 5), value: ((i * 37) % 101) / 4 }));
}

function slowEngine(dir: string, slowMicrosPerRecord: number) {
  return createEngine({
    source: 'api', sink: `file:${join(dir, 'out.ndjson')}`, lateOutput: `file:${join(dir, 'late.ndjson')}`,
    deadLetter: `file:${join(dir, 'dead.ndjson')}`, ringSize: '1KiB', window: 'tumbling:50ms', outOfOrderness: 10,
    idleTimeout: '1h', partitions: P, workers: 1, progress: 0, httpPort: 0, slowMicrosPerRecord,
  });
}

function expectReference(dir: string, accepted: RefRecord[]): void {
  const ref = runReference(accepted, {
    window: { kind: 'tumbling', size: 50 }, aggregates: ['count', 'sum', 'min', 'max', 'avg'],
    outOfOrderness: 10, allowedLateness: 0, partitions: P, partitionOf: partitionOf(P),
  });
  const lines = readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean).sort();
  expect(ref.late).toEqual([]);
  expect(readFileSync(join(dir, 'late.ndjson'), 'utf8')).toBe('');
  expect(lines).toEqual(canonicalLines(ref.results));
}

describe('library API backpressure', () => {
  it('tryWrite() returns false on a full ring and writes nothing; retried later, every record arrives', async () => {
    const dir = tmpDir();
    const engine = slowEngine(dir, 300);
    await engine.start();
    const input = records(600);
    const accepted: RefRecord[] = [];
    let refusals = 0;
    let refusalsWhileFull = 0;
    for (const r of input) {
      while (!engine.tryWrite(r)) {
        refusals++;
        // Refused: the record is not in any ring (records in did not move).
        const s = engine.snapshot();
        if (s.recordsIn === accepted.length) refusalsWhileFull++;
        await tick();
      }
      accepted.push(r);
    }
    const summary = await engine.stop();
    expect(refusals).toBeGreaterThan(0);
    expect(refusalsWhileFull).toBe(refusals);
    expect(summary.recordsIn).toBe(input.length);
    expect(summary.recordsProcessed).toBe(input.length);
    expectReference(dir, accepted);
  });

  it('write() waits while the ring is full and resolves once the worker drained it; nothing is lost', async () => {
    const dir = tmpDir();
    // 2 ms per record: a full 1 KiB ring (about a dozen frames) takes the worker well over 20 ms to drain.
    const engine = slowEngine(dir, 2000);
    await engine.start();
    const input = records(80);
    // Fill one ring with tryWrite until it refuses.
    let i = 0;
    while (engine.tryWrite(input[i]!)) i++;
    const before = engine.snapshot().recordsIn;
    expect(before).toBe(i);
    let resolved = false;
    const pending = engine.write(input[i]!).then(() => { resolved = true; });
    await tick();
    // Still waiting: the ring is full and the slow worker has not released it yet.
    expect(resolved).toBe(false);
    expect(engine.snapshot().recordsIn).toBe(before);
    await pending;
    expect(engine.snapshot().recordsIn).toBe(before + 1);
    for (const r of input.slice(i + 1)) await engine.write(r);
    const summary = await engine.stop();
    const api = summary.sources.find((s) => s.name === 'api')!;
    expect(api.pauses).toBeGreaterThan(0);
    expect(api.pausedSeconds).toBeGreaterThan(0);
    expect(api.records).toBe(input.length);
    expect(summary.recordsProcessed).toBe(input.length);
    expectReference(dir, input);
  });
});
