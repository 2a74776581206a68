// Where a job's OUTPUT frames go (src/codec/out-frames.ts OUT_*): F_HASH is
// an index into the plan's sinkNames or one of OUT_LATE, OUT_DEAD_LETTER.
// The out-drain hands each frame's JSON text here; the default sink's
// objects go back to the drain (they belong to checkpoint epochs, like
// window results), the named sinks' are gathered into one write per sink
// per drain pass.
import type { LineSink } from '../io/sinks/line-sink.js';
import { OUT_DEAD_LETTER, OUT_LATE } from '../codec/out-frames.js';
import { DEFAULT_SINK } from '../job/plan.js';

/** What the out-drain does with an output: write it to the default sink or the late output, or nothing (handled here). */
export const TO_DEFAULT = 0;
export const TO_LATE = 1;
/** Gathered for a named sink (flush() writes it): an output, like TO_DEFAULT. */
export const TO_NAMED = 2;
export const HANDLED = 3;

export interface JobOutputTargets {
  /** The plan's sinkNames, in order: an output's index names its sink. */
  readonly sinkNames: readonly string[];
  /** The named sinks by name (the default sink is the drain's own). */
  readonly named: ReadonlyMap<string, LineSink>;
  /** A dead-lettered record's line (counted by the caller's dead-letter count). */
  deadLetter(line: string): void;
}

export class JobOutputs {
  /** Per sink index: the sink, or undefined for the default sink. */
  private readonly sinks: (LineSink | undefined)[];
  private readonly text: string[];
  private readonly lines: number[];
  deadLetters = 0;
  /** The default sink's index in sinkNames: its outputs need no decoding when nobody reads them. */
  readonly defaultIndex: number;

  constructor(private readonly targets: JobOutputTargets) {
    this.sinks = targets.sinkNames.map((n) => (n === DEFAULT_SINK ? undefined : targets.named.get(n)));
    this.text = targets.sinkNames.map(() => '');
    this.lines = targets.sinkNames.map(() => 0);
    this.defaultIndex = targets.sinkNames.indexOf(DEFAULT_SINK);
  }

  /** One output frame's JSON text, sent to `target` (F_HASH) by `worker`: TO_DEFAULT/TO_LATE when the caller writes it. */
  route(target: number, json: string, worker: number): number {
    if (target >= 0 && target < this.sinks.length) {
      if (this.sinks[target] === undefined) return TO_DEFAULT;
      this.text[target] += json + '\n';
      this.lines[target]!++;
      return TO_NAMED;
    } else if (target === OUT_LATE) {
      return TO_LATE;
    } else if (target === OUT_DEAD_LETTER) {
      this.deadLetters++;
      this.targets.deadLetter(deadLetterLine(json, worker));
    } else {
      // A worker wrote an index the plan does not have: a bug, kept visible rather than dropped.
      this.deadLetters++;
      this.targets.deadLetter(JSON.stringify({ code: 'ERR_INTERNAL', reason: 'no-such-sink', detail: `output for sink index ${target}`,
        source: `worker ${worker}`, record: safeParse(json) }) + '\n');
    }
    return HANDLED;
  }

  /** Write the named sinks' gathered outputs; false when one asks to wait (backpressure). */
  flush(): boolean {
    let ok = true;
    for (let i = 0; i < this.sinks.length; i++) {
      const s = this.sinks[i];
      if (s === undefined || this.lines[i] === 0) continue;
      ok = s.write(this.text[i]!, this.lines[i]!) && ok;
      this.text[i] = '';
      this.lines[i] = 0;
    }
    return ok;
  }
}

function safeParse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/** A worker's dead letter ({ reason, detail, record }) as a --dead-letter line: a code, and the worker it came from. */
function deadLetterLine(json: string, worker: number): string {
  const body = safeParse(json) as { reason?: unknown; detail?: unknown; record?: unknown } | string;
  if (typeof body !== 'object' || body === null) {
    return JSON.stringify({ code: 'ERR_INTERNAL', reason: 'bad-dead-letter', detail: 'a worker wrote a dead letter that is not JSON', source: `worker ${worker}`, record: body }) + '\n';
  }
  const code = body.reason === 'user-function' ? 'ERR_USER_FUNCTION' : 'ERR_BAD_RECORD';
  return JSON.stringify({ code, reason: body.reason, detail: body.detail, source: `worker ${worker}`, record: body.record }) + '\n';
}
