// What a job function that throws (or a map that returns no object) does to
// its record, per --on-user-error / job({ onUserError }): fail the run with
// ERR_USER_FUNCTION naming the stage's line in the job file, or dead-letter
// the record with the reason and go on with the next one.
import { SabreError } from '../../errors.js';
import { OUT_DEAD_LETTER } from '../../codec/out-frames.js';

export type UserErrorPolicy = 'fail' | 'dead-letter';

/** The stage a user function belongs to: its op (filter, map, aggregate, process…) and its place in the job file. */
export interface StageRef {
  readonly op: string;
  readonly where: string;
}

/** Writes one output: (target, object, event time, ingest time). */
export type Emit = (target: number, obj: object, time: number, ingest: number) => void;

export class UserErrors {
  /** Records dead-lettered so far. */
  deadLettered = 0;

  constructor(private readonly policy: UserErrorPolicy, private readonly emit: Emit) {}

  /** `record`: a plain copy of what the function was given (the dead-letter body keeps it). */
  handle(stage: StageRef, e: unknown, record: unknown, time: number, ingest: number): void {
    if (e instanceof SabreError) throw e; // the engine's own (an output too large…), not the user's function
    const message = e instanceof Error ? e.message + thrownAt(e, stage.where) : String(e);
    if (this.policy === 'fail') {
      throw new SabreError('ERR_USER_FUNCTION', `${stage.where}: ${stage.op} threw: ${message} `
        + '(set onUserError: \'dead-letter\' in job({ ... }) or --on-user-error dead-letter to dead-letter such records and go on)', { cause: e });
    }
    this.deadLettered++;
    this.emit(OUT_DEAD_LETTER, { reason: 'user-function', detail: `${message} (at ${stage.where})`, record }, time, ingest);
  }
}

/**
 * Where in the job's file the error was thrown (its first stack frame in
 * the file of the stage, `where` being FILE:LINE:COL), as " (thrown at
 * FILE:LINE:COL)", or "" when the stack does not pass through that file.
 */
export function thrownAt(e: Error, where: string): string {
  const file = where.replace(/:\d+:\d+$/, '');
  if (file === where || typeof e.stack !== 'string') return '';
  for (const line of e.stack.split('\n').slice(1)) {
    const i = line.indexOf(file);
    if (i < 0) continue;
    const m = /^:\d+:\d+/.exec(line.slice(i + file.length));
    if (m) return ` (thrown at ${file}${m[0]})`;
  }
  return '';
}

/** A map's result that is not an object (null, a number…): the error its stage reports. */
export function notAnObject(v: unknown): TypeError {
  return new TypeError(`map must return an object, it returned ${v === null ? 'null' : typeof v}`);
}
