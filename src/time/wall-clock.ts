/**
 * Wall-clock time in epoch milliseconds with sub-millisecond resolution:
 * the process's time origin plus the monotonic clock, so successive reads
 * never go back (Date.now() can, and has only ms resolution). Ingest stamps
 * on the main thread and batch clocks in the workers use the same clock, so
 * their difference is a queue time.
 */
export const wallNow = (): number => performance.timeOrigin + performance.now();
