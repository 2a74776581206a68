import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Doorbell } from '../../../dist/src/ring/doorbell.js';
import { BELL_SLEEPING } from '../../../dist/src/ring/layout.js';
import { AsyncSleep, SpinThenSleep } from '../../../dist/src/ring/wait-strategy.js';

const never = (): number => 60_000; // a wait that ends only by being rung

describe('wait strategies', () => {
  it('SpinThenSleep returns without sleeping when the condition holds, or comes true while it polls', () => {
    const bell = Doorbell.create();
    const w = new SpinThenSleep(bell, 1000);
    w.waitFor(() => true, never);
    let polls = 0;
    w.waitFor(() => ++polls === 500, never);
    expect(polls).toBe(500);
    expect(w.sleeps).toBe(0);
    // Nothing pending: the announcement is withdrawn, so wakers skip the notify.
    expect(bell.words[BELL_SLEEPING]).toBe(0);
  });

  it('SpinThenSleep polls 1/32 as long after three polls in a row ended in a sleep, and fully again once one finds work', () => {
    const w = new SpinThenSleep(Doorbell.create(), 1024);
    const budgets: number[] = [];
    for (let i = 0; i < 8; i++) {
      let polls = 0;
      // Never ready while polling: the re-check after announcing counts too, so stop counting there.
      w.waitFor(() => { polls++; return false; }, () => 0);
      budgets.push(polls - 1);
    }
    expect(budgets).toEqual([1024, 1024, 1024, 32, 32, 32, 32, 32]);
    expect(w.sleeps).toBe(8);
    w.waitFor(() => true, never);
    expect(w.budget).toBe(1024);
    // A lone miss between hits does not shorten it.
    for (let i = 0; i < 4; i++) {
      w.waitFor(() => false, () => 0);
      w.waitFor(() => true, never);
    }
    expect(w.budget).toBe(1024);
    expect(w.sleeps).toBe(12);
  });

  it('SpinThenSleep(0) sleeps at once and wakes at its timeout when nobody rings', () => {
    const w = new SpinThenSleep(Doorbell.create(), 0);
    let asked = 0;
    w.waitFor(() => false, () => { asked++; return 5; });
    expect(w.sleeps).toBe(1);
    expect(asked).toBe(1); // the timeout is computed only when it sleeps
  });

  it('a sleeper in another thread is woken by ring(), with no lost wake-up between its re-check and its sleep', async () => {
    const bell = Doorbell.create();
    const flag = new Int32Array(new SharedArrayBuffer(8));
    // The worker waits 200 times for the flag to become its round number; main sets it and rings.
    const worker = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.dist + '/src/ring/wait-strategy.js').then(({ SpinThenSleep }) => import(workerData.dist + '/src/ring/doorbell.js').then(({ Doorbell }) => {
        const bell = new Doorbell(workerData.bell);
        const flag = new Int32Array(workerData.flag);
        const w = new SpinThenSleep(bell, 0);
        for (let round = 1; round <= 200; round++) {
          while (Atomics.load(flag, 0) < round) w.waitFor(() => Atomics.load(flag, 0) >= round, () => 60000);
          Atomics.store(flag, 1, round);
        }
        parentPort.postMessage(w.sleeps);
      }));`, { eval: true, workerData: { dist: new URL('../../../dist', import.meta.url).href, bell: bell.sab, flag: flag.buffer } });
    const sleeps = new Promise<number>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    for (let round = 1; round <= 200; round++) {
      Atomics.store(flag, 0, round);
      bell.ring();
      // Wait until the worker saw it (it acknowledges in flag[1]) before the next round.
      while (Atomics.load(flag, 1) < round) await new Promise((r) => setImmediate(r));
    }
    expect(await sleeps).toBeGreaterThan(0); // it did sleep, and every sleep was ended by a ring, not its 60 s timeout
    await worker.terminate();
  }, 30_000);

  it('AsyncSleep never blocks: it resolves at once when ready, and when rung', async () => {
    const bell = Doorbell.create();
    const a = new AsyncSleep(bell);
    await a.waitFor(() => true, 60_000);
    let ready = false;
    const waiting = a.waitFor(() => ready, 60_000);
    let done = false;
    void waiting.then(() => { done = true; });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false); // the event loop kept turning while it waits
    ready = true;
    bell.ring();
    await waiting;
    expect(done).toBe(true);
  }, 30_000);
});
