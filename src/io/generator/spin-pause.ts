import { iterationsPerMicro } from '../../ring/calibrate.js';

/**
 * A busy pause of about `micros` µs that neither reads the clock nor
 * allocates. Clock reads cost ~50 ns and allocate a heap number each
 * (measured: 5M performance.now() calls → 157 scavenges), and the event loop
 * has no sub-millisecond timer, so a throttled source that must send a record
 * every microsecond or so waits between clock reads with this instead.
 * Calibrated once per process; preemption only makes a pause longer, which
 * the next clock read sees.
 */
export class SpinPause {
  private static itersPerMicro = 0;
  /** Sink for the loop's result, so the loop cannot be optimised away. */
  static sink = 0;

  readonly iterations: number;

  constructor(readonly micros: number) {
    if (SpinPause.itersPerMicro === 0) SpinPause.itersPerMicro = calibrate();
    this.iterations = Math.max(1, Math.round(micros * SpinPause.itersPerMicro));
  }

  pause(): void {
    SpinPause.sink = spin(this.iterations, SpinPause.sink);
  }
}

function spin(n: number, seed: number): number {
  let x = seed | 0;
  for (let i = 0; i < n; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  return x;
}

/** Iterations of spin() per µs. */
function calibrate(): number {
  spin(200_000, 1); // warm up (optimise) before timing
  return iterationsPerMicro((n) => { SpinPause.sink = spin(n, SpinPause.sink); }, 200_000, 5);
}
