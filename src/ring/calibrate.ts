/**
 * Iterations of `run(n)` per µs on this thread now: the fastest of `tries`
 * timed runs of n iterations (slower ones were preempted). For busy waits
 * that must last about a given time without reading the clock (a read costs
 * ~50 ns and allocates a heap number). `run` should be warmed up (optimised)
 * by the first try; the result is at least one per µs's worth of nothing.
 */
export function iterationsPerMicro(run: (n: number) => void, n: number, tries: number): number {
  let best = Infinity;
  for (let k = 0; k < tries; k++) {
    const t0 = performance.now();
    run(n);
    best = Math.min(best, performance.now() - t0);
  }
  return n / Math.max(best * 1000, 1);
}
