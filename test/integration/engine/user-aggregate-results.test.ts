// What a user aggregate's result() becomes in a result line (docs/SEMANTICS.md,
// "Aggregates and output"): its JSON; null when JSON has no form for it
// (undefined, NaN, ±Infinity, a function, a symbol). Every line stays valid
// JSON, and callbacks get the same values. A result JSON.stringify refuses
// (a BigInt) fails the run with ERR_USER_AGGREGATE, not an anonymous crash.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type WindowResult } from '../../../dist/src/index.js';
import { tmpDir } from '../../helpers/engine-run.js';

const fixture = (f: string): string => new URL(`../../fixtures/${f}`, import.meta.url).pathname;

describe('user aggregate results in result lines', () => {
  it('values without a JSON form become null, awkward strings and objects round-trip; every line parses', async () => {
    const dir = tmpDir();
    const out = join(dir, 'out.ndjson');
    const engine = createEngine({ source: 'api', sink: `file:${out}`, window: 'tumbling:1s', agg: 'count,odd', aggregateModule: fixture('odd-results-aggregate.mjs'),
      partitions: 2, workers: 1, progress: 0, httpPort: 0 });
    const got: WindowResult[] = [];
    engine.onResult((r) => got.push(r));
    await engine.start();
    // Key kN gets N records in one window, so its result() sees acc = N.
    for (let n = 1; n <= 8; n++) for (let i = 0; i < n; i++) await engine.write({ key: `k${n}`, ts: 1000 + i, value: 1 });
    await engine.stop();
    const text = readFileSync(out, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(8);
    const parsed = lines.map((l) => JSON.parse(l) as WindowResult); // throws on a malformed line
    const odd = Object.fromEntries(parsed.map((r) => [r.key, r]));
    for (const n of [1, 2, 3, 4, 7, 8]) {
      expect(odd[`k${n}`]).toEqual({ key: `k${n}`, start: 1000, end: 2000, count: n, odd: null, fire: 'watermark' });
      expect(Object.keys(odd[`k${n}`]!)).toEqual(['key', 'start', 'end', 'count', 'odd', 'fire']);
    }
    expect(odd.k5!.odd).toBe('say "hi"\nnext line \u2028 \ud800 end'); // a lone surrogate survives (JSON.stringify escapes it)
    expect(odd.k6!.odd).toEqual({ nested: { list: [1, 'two', null] } });
    // Callbacks see the same values as the lines.
    expect(got.map((r) => JSON.stringify(r)).sort()).toEqual(parsed.map((r) => JSON.stringify(r)).sort());
  });

  it('a result() JSON cannot represent (a BigInt) fails the run with ERR_USER_AGGREGATE', async () => {
    const engine = createEngine({ source: 'api', sink: 'null', window: 'tumbling:1s', agg: 'count,big', aggregateModule: fixture('bigint-result-aggregate.mjs'),
      partitions: 1, workers: 1, progress: 0, httpPort: 0 });
    await engine.start();
    await engine.write({ key: 'k', ts: 1000, value: 1 });
    const err = await engine.stop().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_WORKER_CRASHED', cause: { code: 'ERR_USER_AGGREGATE' } });
  });
});
