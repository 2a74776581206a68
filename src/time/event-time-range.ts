/**
 * The event times a record may carry: whole epoch milliseconds from
 * 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, the instants a
 * four-digit ISO-8601 year names (so every accepted time prints as one, and
 * both bounds are far inside the safe integers, where window arithmetic is
 * exact). Anything else — 1e300, 1.5, a year 10000 — is dead-lettered as
 * `bad-time` before it reaches a ring: one such record would otherwise raise
 * its partition's watermark past every real record. PartitionedWriter applies
 * the check (and --max-future-skew) to every input record, whatever its path.
 */
export const MIN_EVENT_TIME = -62_167_219_200_000;
export const MAX_EVENT_TIME = 253_402_300_799_999;

/** true when t is a whole number of epoch ms within [MIN_EVENT_TIME, MAX_EVENT_TIME]. */
export function isEventTime(t: number): boolean {
  // NaN and ±Infinity fail the comparisons; within the bounds every integer is safe.
  return t >= MIN_EVENT_TIME && t <= MAX_EVENT_TIME && Math.floor(t) === t;
}

/** The dead-letter detail of a `bad-time` record whose time failed isEventTime. */
export function badTimeDetail(t: number): string {
  return `event time ${t} is not a whole number of epoch ms from 0000-01-01 to 9999-12-31 (${MIN_EVENT_TIME}..${MAX_EVENT_TIME})`;
}

/** The dead-letter detail of a `future-time` record: t more than `skew` ms after the wall clock `now`. */
export function futureTimeDetail(t: number, now: number, skew: number): string {
  return `event time ${new Date(t).toISOString()} is ${Math.round(t - now)} ms ahead of the wall clock (${new Date(now).toISOString()}), `
    + `more than --max-future-skew ${skew} ms`;
}
