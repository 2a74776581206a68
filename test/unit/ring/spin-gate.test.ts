// Auto spin polls only while the machine leaves the engine's threads their
// cores: the SpinGate decision (pure), the worker's wait honouring it, and an
// engine on a machine that two CPU-bound processes keep busy.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { Doorbell } from '../../../dist/src/ring/doorbell.js';
import { SpinThenSleep } from '../../../dist/src/ring/wait-strategy.js';
import { SpinGate } from '../../../dist/src/ring/spin-gate.js';
import { createEngine, type Engine } from '../../../dist/src/index.js';

let engine: Engine | undefined;
const hogs: ChildProcess[] = [];
afterEach(async () => {
  for (const h of hogs.splice(0)) h.kill('SIGKILL');
  await engine?.stop();
  engine = undefined;
});

const until = async (what: string, cond: () => boolean, ms = 15_000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('SpinGate: poll only while the others leave our threads their cores', () => {
  it('closes when other processes use more than the cores our threads leave (a quarter core of noise at least), reopens well below', () => {
    // 2 cores, main + 1 worker: no core to spare, so a quarter core used by others closes it.
    const g = new SpinGate(2, 2);
    expect([g.closeAbove, g.open]).toEqual([0.25, true]);
    expect(g.update(1100, 1000, 1000)).toBe(true); // others 0.1 core
    expect(g.update(1400, 1000, 1000)).toBe(false); // others 0.4 core: a broker on the same host
    expect(g.others).toBeCloseTo(0.4);
    expect(g.update(1200, 1000, 1000)).toBe(false); // 0.2: inside the hysteresis band, stays closed
    expect(g.update(1100, 1000, 1000)).toBe(true); // 0.1 < 0.15: reopens
    expect(g.update(1000, 1500, 1000)).toBe(true); // our own CPU beyond the machine's (sampling skew): others 0
    expect(g.others).toBe(0);
    // 8 cores, 3 threads: the others may use 5 cores before polling hurts anyone.
    const big = new SpinGate(8, 3);
    expect(big.update(6000, 1000, 1000)).toBe(true);
    expect(big.update(6500, 1000, 1000)).toBe(false);
  });

  it('a gated SpinThenSleep sleeps at once, and a closed gate does not shorten the poll for when it reopens', () => {
    const gate = new Float64Array([1]);
    const w = new SpinThenSleep(Doorbell.create(), 100, gate, 0);
    const pollsOf = (): number => {
      let polls = 0;
      w.waitFor(() => { polls++; return false; }, () => 0);
      return polls - 1; // the re-check after announcing is not a poll
    };
    expect(pollsOf()).toBe(100);
    gate[0] = 0;
    expect([pollsOf(), pollsOf(), pollsOf(), pollsOf()]).toEqual([0, 0, 0, 0]);
    gate[0] = 1;
    expect(pollsOf()).toBe(100); // one miss before: the gated sleeps were not counted as misses
    expect(w.sleeps).toBe(6);
  });
});

describe('an engine with auto spin on a busy machine', () => {
  const job = {
    source: 'generator', rate: 2000, keys: 10, window: 'tumbling:1s', partitions: 2, workers: 1,
    sink: 'null', lateOutput: 'null', deadLetter: 'null', progress: 0, httpPort: 0,
  } as const;

  it('stops its workers polling while two CPU-bound processes run (stats: polling false); a fixed --spin is not gated', async () => {
    for (let i = 0; i < 2; i++) hogs.push(spawn('node', ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    engine = createEngine(job);
    await engine.start();
    const e = engine;
    await until('the worker to stop polling', () => e.stats().workers[0]!.polling === false);
    await e.stop();

    // The same machine, a fixed spin: it polls as told (the gate is for auto spin only), or never with 0.
    engine = createEngine({ ...job, spin: 1000 });
    await engine.start();
    await new Promise((r) => setTimeout(r, 1200)); // two gate samples' worth: nothing may close it
    expect(engine.stats().workers[0]!.polling).toBe(true);
    await engine.stop();
    engine = createEngine({ ...job, spin: 0 });
    await engine.start();
    expect(engine.stats().workers[0]!.polling).toBe(false);
  }, 40_000);
});
