import { describe, expect, it, afterAll } from 'vitest';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { RingBuffer, Doorbell } from '../../../dist/src/index.js';
import { PRODUCER_WAITING } from '../../../dist/src/ring/layout.js';

const consumer = new Worker(new URL('../../fixtures/ring-consumer.mjs', import.meta.url));
afterAll(() => consumer.terminate());

interface Seen { seen: number[]; bad: number; sleeps: number }

/** Produce frames (payload lengths `lens`) through a fresh ring into the consumer thread. */
async function pump(capacity: number, lens: number[], batch: number, slowEvery = 0): Promise<Seen & { waits: number }> {
  const mainBell = Doorbell.create();
  const ring = RingBuffer.create(capacity, Doorbell.create(), mainBell);
  const result = new Promise<Seen>((resolve) => consumer.once('message', resolve));
  consumer.postMessage({ handle: ring.handle, slowEvery });
  let waits = 0;
  for (let seq = 0; seq < lens.length; seq++) {
    const len = lens[seq]!;
    let at: number;
    while ((at = ring.reserve(8 + len)) < 0) {
      ring.publish();
      // The producer-side protocol: announce waiting, re-check, then sleep on our bell.
      if (!ring.announceWaiting(8 + len)) continue;
      const epoch = mainBell.announce();
      if (Atomics.load(ring.header, PRODUCER_WAITING) === 0) { mainBell.withdraw(); continue; }
      waits++;
      await mainBell.sleepAsync(epoch, 1000);
    }
    ring.i32[(at + 4) >> 2] = seq;
    for (let j = 0; j < len; j++) ring.u8[at + 8 + j] = (seq * 31 + j) & 255;
    if (ring.pending >= batch) ring.publish();
  }
  ring.close();
  return { ...(await result), waits };
}

describe('ring buffer with a real consumer thread', () => {
  it('keeps order and loses nothing across wrap-around, for tiny and huge frames (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(1024, 4096, 65536),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 17, max: 240 }), fc.constant(-1)), { minLength: 1, maxLength: 3000 }),
      fc.integer({ min: 1, max: 300 }),
      async (capacity, raw, batch) => {
        const max = capacity / 4 - 8; // the ring's largest frame, minus our 8-byte prefix
        const lens = raw.map((l) => (l < 0 ? max : Math.min(l, max)));
        const r = await pump(capacity, lens, batch);
        expect(r.bad).toBe(0);
        const expected = lens.flatMap((l, i) => [i, l]);
        expect(r.seen).toEqual(expected);
      }), { numRuns: 40 });
  });

  it('a slow consumer makes the producer wait and wake, with nothing lost', async () => {
    const lens = Array.from({ length: 20000 }, (_, i) => (i * 7) % 100);
    const r = await pump(4096, lens, 64, 50);
    expect(r.waits).toBeGreaterThan(0);
    expect(r.bad).toBe(0);
    expect(r.seen.length).toBe(lens.length * 2);
    expect(r.seen.filter((_, i) => i % 2 === 0)).toEqual(lens.map((_, i) => i));
  });

  it('an idle consumer sleeps and is woken by a single publish', async () => {
    const mainBell = Doorbell.create();
    const ring = RingBuffer.create(1024, Doorbell.create(), mainBell);
    const result = new Promise<Seen>((resolve) => consumer.once('message', resolve));
    consumer.postMessage({ handle: ring.handle, slowEvery: 0 });
    // Give it nothing until it must have gone to sleep: its sleeping flag tells us.
    const bellWords = new Int32Array(ring.handle.consumerBell);
    while (Atomics.load(bellWords, 0) === 0) await new Promise((r) => setImmediate(r));
    const at = ring.reserve(8 + 3);
    ring.i32[(at + 4) >> 2] = 0;
    for (let j = 0; j < 3; j++) ring.u8[at + 8 + j] = j & 255;
    ring.publish();
    ring.close();
    const r = await result;
    expect(r.seen).toEqual([0, 3]);
    expect(r.sleeps).toBeGreaterThan(0);
  });

  it('rejects capacities that are not powers of two with ERR_INVALID_OPTION', () => {
    expect(() => RingBuffer.create(3000, Doorbell.create(), Doorbell.create())).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('tryWrite-style reserve returns -1 when full and writes nothing', () => {
    const ring = RingBuffer.create(1024, Doorbell.create(), Doorbell.create());
    let n = 0;
    while (ring.reserve(64) >= 0) n++;
    expect(n).toBe(1024 / 64);
    const before = ring.pending;
    expect(ring.reserve(8)).toBe(-1);
    expect(ring.pending).toBe(before);
  });
});
