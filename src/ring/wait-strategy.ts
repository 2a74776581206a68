import type { Doorbell } from './doorbell.js';
import { iterationsPerMicro } from './calibrate.js';

/** A spin count (WorkerTask.spin) asking the worker to calibrate it to SPIN_AUTO_MICROS of polls. */
export const SPIN_AUTO = -1;
/**
 * How long an idle worker polls before it sleeps, when it has a core to
 * itself. Longer than the gaps a busy source leaves (a paced generator yields
 * to its event loop every 0.25 ms; a Kafka or HTTP source between batches),
 * so a loaded worker never pays the wake-up (a futex wake here: tens to
 * hundreds of µs) between batches; short enough that an idle engine sleeps.
 */
export const SPIN_AUTO_MICROS = 300;
/** The short poll of a worker whose polls keep ending in sleeps: spins >> SPIN_FLOOR_SHIFT (about 10 µs of the auto spin). */
const SPIN_FLOOR_SHIFT = 5;
/** Polls in a row that ended in a sleep before the poll is shortened. */
const SPIN_GIVE_UP = 3;

/** Polls of `ready` that take about `micros` µs on this thread (measured while nothing is ready). */
export function spinsFor(ready: () => boolean, micros: number): number {
  const perMicro = iterationsPerMicro((n) => { for (let i = 0; i < n; i++) if (ready()) break; }, 20_000, 4);
  return Math.max(1, Math.round(perMicro * micros));
}

/**
 * How a consumer (or a producer waiting for space) waits for something it
 * polls for. `ready` re-checks the condition (frames published, space
 * released); the strategy decides how long to poll and how to sleep. Every
 * sleep follows the doorbell protocol: announce, re-check, then sleep on the
 * epoch read before announcing, so a wake-up between the re-check and the
 * sleep is never lost (src/ring/doorbell.ts).
 */
export interface WaitStrategy {
  /**
   * Return once `ready()` may be true or the timeout passed (the caller
   * re-checks either way). `timeoutMs` is asked only when it sleeps, so a
   * caller that computes it from the clock reads the clock only then.
   */
  waitFor(ready: () => boolean, timeoutMs: () => number): void;
}

/**
 * A thread that may block (workers): poll, then Atomics.wait on the doorbell.
 * spins = 0 sleeps at once. The poll adapts: after SPIN_GIVE_UP polls in a
 * row ended in a sleep it shrinks to spins >> SPIN_FLOOR_SHIFT, and the first
 * poll that finds work restores it. Under a dense stream (a generator, Kafka
 * batches) work nearly always arrives within the poll, a lone miss changes
 * nothing and the worker keeps not paying wake-ups (a shrink on every miss
 * doubled p99.9 at 1M records/s); under sparse pushes (HTTP requests a
 * millisecond apart) every full poll would end in a sleep anyway, and
 * burning them takes the core from the threads that have work (measured:
 * single-record POSTs 15–35% faster).
 */
export class SpinThenSleep implements WaitStrategy {
  /** Sleeps taken (each one a futex wait): what a longer spin would have saved. */
  sleeps = 0;
  private polls: number;
  private readonly minPolls: number;
  /** Polls in a row that ended in a sleep. */
  private misses = 0;

  /**
   * `gate[gateAt]` (a counters slot the main thread writes, src/ring/spin-gate.ts):
   * while it is 0 every wait sleeps at once, as if spins were 0.
   */
  constructor(private readonly bell: Doorbell, readonly spins: number,
    private readonly gate?: Float64Array, private readonly gateAt = 0) {
    this.polls = spins;
    this.minPolls = spins > 0 ? Math.max(1, spins >> SPIN_FLOOR_SHIFT) : 0;
  }

  /** Polls the next wait makes before it sleeps. */
  get budget(): number {
    return this.polls;
  }

  waitFor(ready: () => boolean, timeoutMs: () => number): void {
    const gated = this.gate !== undefined && this.gate[this.gateAt] === 0;
    const polls = gated ? 0 : this.polls;
    for (let i = 0; i < polls; i++) {
      if (ready()) {
        this.misses = 0;
        this.polls = this.spins;
        return;
      }
    }
    if (!gated && ++this.misses >= SPIN_GIVE_UP) this.polls = this.minPolls;
    const epoch = this.bell.announce();
    // Re-check after announcing: what happened before announce() did not ring us.
    if (ready()) {
      this.bell.withdraw();
      return;
    }
    this.sleeps++;
    this.bell.sleep(epoch, Math.max(0, timeoutMs()));
  }
}

/** The main thread, which must never block: the same protocol, sleeping with Atomics.waitAsync. */
export class AsyncSleep {
  constructor(private readonly bell: Doorbell) {}

  async waitFor(ready: () => boolean, timeoutMs: number): Promise<void> {
    const epoch = this.bell.announce();
    // Re-check after announcing: what happened before announce() did not ring us.
    if (ready()) {
      this.bell.withdraw();
      return;
    }
    await this.bell.sleepAsync(epoch, timeoutMs);
  }
}
