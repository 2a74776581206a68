// Where a job's OUTPUT frames go (src/codec/out-frames.ts OUT_*): F_HASH is
// an index into the plan's sinkNames or one of OUT_LATE, OUT_DEAD_LETTER.
// The out-drain hands each frame's JSON text here; the default sink's
// objects go back to the drain, the named sinks' are gathered into one write
// per sink and checkpoint epoch per drain pass (an epoch sink — part files,
// a transaction lane — keeps epochs apart, like the results sink).
import type { LineSink } from '../io/sinks/line-sink.js';
import { isEpochSink, type EpochSink } from '../io/sinks/epoch-sink.js';
import { OUT_DEAD_LETTER, OUT_LATE } from '../codec/out-frames.js';
import { timedLine } from '../codec/timed-line.js';
import { DEFAULT_SINK, type JobPlan } from '../job/plan.js';

/**
 * The fields a job's outputs carry its key in, which key its Kafka
 * messages: the keyBy fields, `key` for a key function (its outputs name it
 * so), none for an unkeyed job (messages without a key).
 */
export function jobKeyFields(plan: JobPlan): readonly string[] {
  switch (plan.key.kind) {
    case 'fields': return plan.key.fields;
    case 'fn': return ['key'];
    case 'none': return [];
  }
}

/** One named sink's outputs of a drain pass, by checkpoint epoch. */
interface Gathered {
  readonly sink: LineSink;
  readonly epochSink: EpochSink | undefined;
  /** The sink wants timed lines (LineSink.timedLines). */
  readonly timed: boolean;
  epochs: number[];
  text: string[];
  lines: number[];
}

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
  /** Per sink index: the named sink's gathered outputs, or undefined for the default sink. */
  private readonly sinks: (Gathered | undefined)[];
  /** Named sinks that may hold back a later epoch (EpochSink.accepts). */
  private readonly holders: EpochSink[];
  deadLetters = 0;
  /** Of deadLetters: records a job function threw on (reason user-function). */
  userFunctionDeadLetters = 0;
  /** Outputs routed to each sink, indexed like sinkNames (the default sink's too). */
  readonly outputs: Float64Array;
  /** The default sink's index in sinkNames: its outputs need no decoding when nobody reads them. */
  readonly defaultIndex: number;

  constructor(private readonly targets: JobOutputTargets) {
    this.sinks = targets.sinkNames.map((n) => {
      const sink = n === DEFAULT_SINK ? undefined : targets.named.get(n);
      return sink && { sink, epochSink: isEpochSink(sink) ? sink : undefined, timed: sink.timedLines === true, epochs: [], text: [], lines: [] };
    });
    this.holders = this.sinks.flatMap((g) => (g?.epochSink?.accepts ? [g.epochSink] : []));
    this.defaultIndex = targets.sinkNames.indexOf(DEFAULT_SINK);
    this.outputs = new Float64Array(targets.sinkNames.length);
  }

  /** false while a named sink holds all it may of `epoch` (the drain then leaves that worker's out-ring unread). */
  accepts(epoch: number): boolean {
    for (const h of this.holders) if (!h.accepts!(epoch)) return false;
    return true;
  }

  /**
   * One output frame's JSON text, sent to `target` (F_HASH) by `worker`, of
   * checkpoint `epoch`, its event time `time` (F_TIME): TO_DEFAULT/TO_LATE when the caller writes it.
   */
  route(target: number, json: string, worker: number, epoch = 0, time = NaN): number {
    if (target >= 0 && target < this.sinks.length) {
      this.outputs[target]!++;
      const g = this.sinks[target];
      if (g === undefined) return TO_DEFAULT;
      const line = (g.timed ? timedLine(time, json) : json) + '\n';
      const i = g.epochs.indexOf(epoch);
      if (i < 0) {
        g.epochs.push(epoch);
        g.text.push(line);
        g.lines.push(1);
      } else {
        g.text[i] += line;
        g.lines[i]!++;
      }
      return TO_NAMED;
    } else if (target === OUT_LATE) {
      return TO_LATE;
    } else if (target === OUT_DEAD_LETTER) {
      this.deadLetters++;
      const body = safeParse(json);
      if ((body as { reason?: unknown } | null)?.reason === 'user-function') this.userFunctionDeadLetters++;
      this.targets.deadLetter(deadLetterLine(body, worker));
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
    for (const g of this.sinks) {
      if (g === undefined || g.epochs.length === 0) continue;
      for (let i = 0; i < g.epochs.length; i++) {
        ok = (g.epochSink ? g.epochSink.writeEpoch(g.epochs[i]!, g.text[i]!, g.lines[i]!) : g.sink.write(g.text[i]!, g.lines[i]!)) && ok;
      }
      g.epochs.length = 0;
      g.text.length = 0;
      g.lines.length = 0;
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

/** A worker's dead letter ({ reason, detail, record }, parsed) as a --dead-letter line: a code, and the worker it came from. */
function deadLetterLine(parsed: unknown, worker: number): string {
  const body = parsed as { reason?: unknown; detail?: unknown; record?: unknown } | string;
  if (typeof body !== 'object' || body === null) {
    return JSON.stringify({ code: 'ERR_INTERNAL', reason: 'bad-dead-letter', detail: 'a worker wrote a dead letter that is not JSON', source: `worker ${worker}`, record: body }) + '\n';
  }
  const code = body.reason === 'user-function' ? 'ERR_USER_FUNCTION' : 'ERR_BAD_RECORD';
  return JSON.stringify({ code, reason: body.reason, detail: body.detail, source: `worker ${worker}`, record: body.record }) + '\n';
}
