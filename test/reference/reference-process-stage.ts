// One partition's keyed process function (src/job/process.ts), the plain way:
// per key a state object per declaration, and one list of event-time timers
// for the partition. Per record: onRecord runs, then the watermark becomes
// maxTs − outOfOrderness (a record behind it moves nothing) and every timer
// at or below the watermark fires, smallest time first, equal times in
// registration order; a timer set while timers fire fires in the same pass
// if it is due. At the end of input the watermark is +∞, so every timer
// fires. Processing-time timers are recorded but never fire (the tests do
// not use them: wall-clock time is not part of a reference).
import type { ProcessContext, ProcessFunction, StateDecl } from '../../src/job/process.js';
import type { KeyedInput } from './reference-window-stage.js';

interface Timer {
  key: string;
  time: number;
  /** Registration order, for equal times. */
  seq: number;
}

/** Far more timer firings than any test makes in one watermark step: a function re-arming its own timer forever. */
const MAX_FIRINGS_PER_STEP = 1_000_000;

export class RefProcessPartition {
  private maxTs = -Infinity;
  private wm = -Infinity;
  private seq = 0;
  /** Event-time timers, ascending by (time, registration): the due ones are at the front. */
  private timers: Timer[] = [];
  /** "key time" of every timer in `timers` (one timer per key and time). */
  private readonly timerIds = new Set<string>();
  private readonly state = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly fn: ProcessFunction<unknown, Record<string, StateDecl>, unknown>,
    private readonly outOfOrderness: number,
    private readonly emit: (out: Record<string, unknown>) => void,
    /** Runs a user function for a record; false when it threw and the record was dead-lettered. */
    private readonly guard: (record: unknown, run: () => void) => boolean,
  ) {}

  onRecord(r: KeyedInput): void {
    // A record whose onRecord threw is dead-lettered: not part of the input, so it moves no watermark.
    if (!this.guard(r.record, () => this.fn.onRecord(r.record, this.context(r.key, r.ts)))) return;
    this.maxTs = Math.max(this.maxTs, r.ts);
    this.advance(Math.max(this.wm, this.maxTs - this.outOfOrderness));
  }

  onEnd(): void {
    this.advance(Infinity);
  }

  private advance(wm: number): void {
    this.wm = wm;
    for (let n = 0; this.timers.length > 0 && this.timers[0]!.time <= wm; n++) {
      if (n > MAX_FIRINGS_PER_STEP) throw new Error('reference: a process function keeps setting due timers');
      const next = this.timers.shift()!;
      this.timerIds.delete(timerId(next.key, next.time));
      this.fn.onTimer?.(next.time, 'event', this.context(next.key, next.time));
    }
  }

  private context(key: string, timestamp: number): ProcessContext<Record<string, StateDecl>, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      key,
      timestamp,
      watermark: this.wm,
      state: this.stateOf(key) as ProcessContext<Record<string, StateDecl>, unknown>['state'],
      timers: {
        eventTime(t: number): void {
          // One timer per key and time: setting it again keeps the first registration.
          if (self.timerIds.has(timerId(key, t))) return;
          self.timerIds.add(timerId(key, t));
          // After every timer of the same or an earlier time: equal times fire in registration order.
          let at = self.timers.length;
          while (at > 0 && self.timers[at - 1]!.time > t) at--;
          self.timers.splice(at, 0, { key, time: t, seq: self.seq++ });
        },
        deleteEventTime(t: number): void {
          if (!self.timerIds.delete(timerId(key, t))) return;
          self.timers = self.timers.filter((x) => !(x.key === key && x.time === t));
        },
        processingTime(): void {},
        deleteProcessingTime(): void {},
      },
      emit: (out: unknown) => this.emit(out as Record<string, unknown>),
    };
  }

  private stateOf(key: string): Record<string, unknown> {
    let s = this.state.get(key);
    if (s === undefined) {
      s = {};
      for (const [name, d] of Object.entries(this.fn.state ?? {})) s[name] = newState(d);
      this.state.set(key, s);
    }
    return s;
  }
}

const timerId = (key: string, time: number): string => `${key}\u0000${time}`;

function newState(d: StateDecl): unknown {
  switch (d.kind) {
    case 'value': {
      let v: unknown = structuredClone(d.initial);
      return { get: () => v, set: (x: unknown) => { v = x; }, clear: () => { v = structuredClone(d.initial); } };
    }
    case 'list': {
      let vs: unknown[] = [];
      return {
        get: () => [...vs],
        add: (x: unknown) => { vs.push(x); },
        set: (xs: readonly unknown[]) => { vs = [...xs]; },
        clear: () => { vs = []; },
      };
    }
    case 'map': {
      const m = new Map<unknown, unknown>();
      return {
        get: (k: unknown) => m.get(k),
        set: (k: unknown, v: unknown) => { m.set(k, v); },
        has: (k: unknown) => m.has(k),
        delete: (k: unknown) => { m.delete(k); },
        keys: () => [...m.keys()],
        entries: () => [...m.entries()],
        clear: () => { m.clear(); },
      };
    }
  }
}
