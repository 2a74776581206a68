import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createEngine, parseWindow, parseDuration, type WindowResult } from '../../../dist/src/index.js';
import { alignDown } from '../../../dist/src/time/window-spec.js';

describe('window assignment and durations', () => {
  it('alignDown puts ts in [start, start+size) with start a multiple of size (property)', () => {
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e13 }), fc.integer({ min: 1, max: 1e7 }), (ts, size) => {
      const s = alignDown(ts, size);
      expect(s <= ts && ts < s + size).toBe(true);
      expect(Math.abs(s % size)).toBe(0);
    }));
  });

  it('parses the documented durations and windows, and rejects others with ERR_INVALID_OPTION', () => {
    expect([parseDuration('500', 'x'), parseDuration('500ms', 'x'), parseDuration('2s', 'x'), parseDuration('1m', 'x')]).toEqual([500, 500, 2000, 60000]);
    expect(parseWindow('sliding:10s,1s')).toEqual({ kind: 'sliding', size: 10000, slide: 1000 });
    expect(parseWindow('session:30s')).toEqual({ kind: 'session', gap: 30000 });
    for (const bad of ['tumbling', 'tumbling:0', 'sliding:1s', 'sliding:1s,2s', 'hopping:1s', 'tumbling:fast']) {
      expect(() => parseWindow(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
  });
});

async function apiRun(opts: Record<string, unknown>, body: (e: ReturnType<typeof createEngine>, got: WindowResult[]) => Promise<void>) {
  const engine = createEngine({ source: 'api', sink: 'null', progress: 0, httpPort: 0, partitions: 2, workers: 1, ...opts });
  const got: WindowResult[] = [];
  engine.onResult((r) => got.push(r));
  await engine.start();
  await body(engine, got);
  const summary = await engine.stop();
  return { got, summary };
}

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('time in the engine', () => {
  it('END on stop() fires every open window', async () => {
    const { got } = await apiRun({ window: 'tumbling:1s', outOfOrderness: '1h' }, async (e, got) => {
      for (let i = 0; i < 10; i++) await e.write({ key: `k${i % 3}`, ts: i * 250, value: i });
      expect(got).toHaveLength(0); // the bound holds everything back until END
    });
    expect(got.map((r) => `${r.key}@${r.start}:${r.count}`).sort()).toEqual(
      ['k0@0:2', 'k0@1000:1', 'k0@2000:1', 'k1@0:1', 'k1@1000:2', 'k2@0:1', 'k2@1000:1', 'k2@2000:1']);
    expect(got.every((r) => r.fire === 'watermark')).toBe(true);
  });

  it('an idle partition gets the source watermark after --idle-timeout, so its windows fire before END', async () => {
    // Two keys on different partitions; only one keeps receiving data.
    await apiRun({ window: 'tumbling:100ms', outOfOrderness: 0, idleTimeout: '200ms', partitions: 64, workers: 1 }, async (e, got) => {
      await e.write({ key: 'quiet', ts: 10, value: 1 });
      for (let t = 20; t < 2000; t += 50) await e.write({ key: 'busy', ts: t, value: 1 });
      await until(() => got.some((r) => r.key === 'quiet'));
      expect(got.find((r) => r.key === 'quiet')).toMatchObject({ start: 0, end: 100, count: 1, fire: 'watermark' });
    });
  });

  it('early firings every --early-fire of processing time, then the on-time firing', async () => {
    const { got } = await apiRun({ window: 'tumbling:1h', earlyFire: '30ms', agg: 'count,sum' }, async (e, got) => {
      await e.write({ key: 'a', ts: 1, value: 2 });
      await until(() => got.length >= 1);
      await e.write({ key: 'a', ts: 2, value: 3 });
      await until(() => got.length >= 2);
    });
    expect(got[0]).toEqual({ key: 'a', start: 0, end: 3_600_000, count: 1, sum: 2, fire: 'early' });
    expect(got[1]).toEqual({ key: 'a', start: 0, end: 3_600_000, count: 2, sum: 5, fire: 'early' });
    expect(got.at(-1)).toEqual({ key: 'a', start: 0, end: 3_600_000, count: 2, sum: 5, fire: 'watermark' });
    expect(got.filter((r) => r.fire === 'early')).toHaveLength(2); // nothing changed after the 2nd: no repeats
  });

  it('allowed lateness: a late record updates a fired window ("late"), one beyond it goes to the late output', async () => {
    const { got, summary } = await apiRun({ window: 'tumbling:100ms', outOfOrderness: 0, allowedLateness: '100ms', partitions: 1, lateOutput: 'null' }, async (e) => {
      await e.write({ key: 'a', ts: 50, value: 1 });
      await e.write({ key: 'a', ts: 150, value: 1 }); // fires [0,100)
      await e.write({ key: 'a', ts: 60, value: 5 }); // within lateness: late firing
      await e.write({ key: 'a', ts: 260, value: 1 }); // wm 260: [0,100) expired (100 + 100 <= 260)
      await e.write({ key: 'a', ts: 70, value: 9 }); // beyond: late output
    });
    const a0 = got.filter((r) => r.start === 0).map((r) => [r.fire, r.count, r.sum]);
    expect(a0).toEqual([['watermark', 1, 1], ['late', 2, 6]]);
    expect(summary.late).toBe(1);
  });
});
