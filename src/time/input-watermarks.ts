/**
 * Event-time progress of a source with several ordered inputs (the Kafka
 * partitions it reads; DESIGN.md §4, Flink's per-split watermarks).
 *
 * Rule: each input's watermark is its largest event time minus the bound;
 * the source's watermark is the minimum over its inputs that are not idle.
 * So a fast input's records never make a slow input's records late: every
 * record within the bound of its own input's progress is on time.
 *
 * - An input assigned but not heard from yet holds the watermark back
 *   (-Infinity) until it is idle, as a just-assigned split does in Flink:
 *   its first records may be the oldest of all.
 * - Idle: no record for `idleTimeout` of the caller's clock *and* nothing
 *   known to be unread (the last batch reached the input's end). An input
 *   with records still waiting in Kafka is slow, not idle. Callers pass a
 *   clock that stands still while they are held up by backpressure (see
 *   KafkaSource), so a starved input is not mistaken for an idle one.
 * - When every input is idle the largest of their watermarks applies (what
 *   the engine sends idle partitions of a single-input source): the windows
 *   the input already passed fire, the last ones after `idleTimeout`. The
 *   first records after that (a producer resuming, or starting after the job
 *   waited on an empty topic) restart every input's idle time: the other
 *   partitions' records are usually on their way, and the first partition
 *   read must not run ahead of them. An input that resumes alone, behind
 *   the watermark already sent, has its older records late (as in Flink).
 * - No inputs at all (before the first assignment): -Infinity, nothing to say.
 *
 * current() may go down (an idle input resumes, a partition is assigned);
 * whoever sends it on keeps the maximum sent (the engine does), so the
 * watermark downstream never decreases.
 *
 * Per batch, not per record: callers fold a batch's largest event time in
 * with onEvent(); nothing here allocates except assign() for a new input.
 */
export class InputWatermarks {
  private readonly inputs = new Map<number, InputProgress>();

  constructor(readonly bound: number, readonly idleTimeout: number) {}

  /** The inputs now read (a rebalance's assignment): new ones start unheard-from at `now`, missing ones are dropped. */
  assign(inputs: readonly number[], now: number): void {
    const keep = new Set(inputs);
    for (const id of [...this.inputs.keys()]) if (!keep.has(id)) this.inputs.delete(id);
    for (const id of inputs) if (!this.inputs.has(id)) this.inputs.set(id, new InputProgress(now));
  }

  /**
   * Records of `input` up to event time `maxTs` were written at `now`
   * (maxTs -Infinity: none were, e.g. all rejected). `caughtUp`: nothing more
   * is known to be waiting in this input.
   */
  onEvent(input: number, maxTs: number, now: number, caughtUp: boolean): void {
    let p = this.inputs.get(input);
    if (p === undefined) {
      p = new InputProgress(now);
      this.inputs.set(input, p);
    }
    if (maxTs > -Infinity) {
      // The source wakes up (every input was idle): the others' idle time starts again, so that
      // the first partition read does not run ahead of partitions whose records are on their way.
      if (this.isIdle(p, now) && this.allIdle(now)) for (const q of this.inputs.values()) q.lastRecord = now;
      p.lastRecord = now;
    }
    if (maxTs > p.maxTs) p.maxTs = maxTs;
    p.caughtUp = caughtUp;
  }

  /** The watermark at `now` (same clock as onEvent/assign): see the class comment. */
  current(now: number): number {
    let active = Infinity;
    let idle = -Infinity;
    let anyActive = false;
    for (const p of this.inputs.values()) {
      const wm = p.maxTs - this.bound;
      if (this.isIdle(p, now)) {
        if (wm > idle) idle = wm;
      } else {
        anyActive = true;
        if (wm < active) active = wm;
      }
    }
    return anyActive ? active : idle;
  }

  /**
   * One input's own watermark (its largest event time − bound; -Infinity
   * before its first record), for a consumer whose inputs each feed one
   * partition of their own (--changelog): no other input holds it back.
   */
  of(input: number): number {
    const p = this.inputs.get(input);
    return p === undefined ? -Infinity : p.maxTs - this.bound;
  }

  /** Per input, for stats and tests: its watermark and whether it is idle at `now`. */
  snapshot(now: number): { input: number; watermark: number; idle: boolean }[] {
    return [...this.inputs].sort((a, b) => a[0] - b[0]).map(([input, p]) => ({
      input, watermark: p.maxTs - this.bound, idle: this.isIdle(p, now),
    }));
  }

  private isIdle(p: InputProgress, now: number): boolean {
    return p.caughtUp && now - p.lastRecord >= this.idleTimeout;
  }

  private allIdle(now: number): boolean {
    for (const p of this.inputs.values()) if (!this.isIdle(p, now)) return false;
    return true;
  }

  get size(): number {
    return this.inputs.size;
  }
}

class InputProgress {
  maxTs = -Infinity;
  /** An input not read yet may hold anything: it is "caught up" only for idleness purposes (so an empty one goes idle). */
  caughtUp = true;
  constructor(public lastRecord: number) {}
}
