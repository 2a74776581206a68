// Errors with stable codes. Tests and callers match on `code`, never on text.

export type ErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_BAD_RECORD'
  | 'ERR_RECORD_TOO_LARGE'
  | 'ERR_RESULT_TOO_LARGE'
  | 'ERR_RING_FULL'
  | 'ERR_LATE_RECORD'
  | 'ERR_WORKER_CRASHED'
  | 'ERR_ENGINE_STATE'
  | 'ERR_USER_AGGREGATE'
  | 'ERR_SOURCE'
  | 'ERR_KAFKA_GROUP_SHARED'
  | 'ERR_SINK'
  | 'ERR_SINK_OPEN'
  | 'ERR_CHECKPOINT_CORRUPT'
  | 'ERR_CHANGELOG_MISSING'
  | 'ERR_CHECKPOINT'
  | 'ERR_CHANGELOG_INVALID'
  | 'ERR_CHANGELOG_CORRUPT'
  | 'ERR_CHANGELOG_TIMEOUT'
  | 'ERR_FORBIDDEN_ORIGIN'
  | 'ERR_INVALID_JOB'
  | 'ERR_USER_FUNCTION'
  | 'ERR_INTERNAL';

/** Whose fault an error is: it tells the reader where to look. */
export type Fault = 'user' | 'external' | 'internal';

const FAULT: Record<ErrorCode, Fault> = {
  ERR_INVALID_OPTION: 'user',
  ERR_BAD_RECORD: 'user',
  ERR_RECORD_TOO_LARGE: 'user',
  /** A window result (its key plus a user aggregate's JSON) larger than an out-ring frame. */
  ERR_RESULT_TOO_LARGE: 'user',
  ERR_RING_FULL: 'external',
  ERR_LATE_RECORD: 'user',
  ERR_WORKER_CRASHED: 'internal',
  ERR_ENGINE_STATE: 'user',
  ERR_USER_AGGREGATE: 'user',
  ERR_SOURCE: 'external',
  /** A checkpointed Kafka job's consumer group has another live member: its state would be split between processes. */
  ERR_KAFKA_GROUP_SHARED: 'user',
  /** A sink failed while the job ran (a write, a flush, an open of the next part file): the run fails, no checkpoint completes after it. */
  ERR_SINK: 'external',
  /** An output target cannot be opened at start-up (a --sink, --late-output or --dead-letter file in a missing directory, no permission). */
  ERR_SINK_OPEN: 'user',
  ERR_CHECKPOINT_CORRUPT: 'external',
  ERR_CHANGELOG_MISSING: 'external',
  ERR_CHECKPOINT: 'external',
  /** A job's changelog topic exists with another partition count than the job's input topic, or is not compacted: the message says how to fix or replace it. */
  ERR_CHANGELOG_INVALID: 'user',
  /** A changelog record cannot be decoded, or a unit's head names chunks that are missing or whose bytes do not match its size and CRC. */
  ERR_CHANGELOG_CORRUPT: 'external',
  /** A changelog partition did not settle (an open transaction held its last stable offset back) within the read's timeout. */
  ERR_CHANGELOG_TIMEOUT: 'external',
  /** A browser request from an origin neither the dashboard's own nor in --allowed-origins (403). */
  ERR_FORBIDDEN_ORIGIN: 'user',
  /** A job module (--job) cannot be loaded or describes an impossible pipeline: the message names the file and, where known, the line. */
  ERR_INVALID_JOB: 'user',
  /** A job's own function (filter, map, key, process, user aggregate) threw or returned the wrong type: the run fails, or with --on-user-error dead-letter the record is dead-lettered. */
  ERR_USER_FUNCTION: 'user',
  ERR_INTERNAL: 'internal',
};

const RETRIABLE: ReadonlySet<ErrorCode> = new Set(['ERR_RING_FULL', 'ERR_SOURCE', 'ERR_SINK', 'ERR_CHANGELOG_TIMEOUT']);

export class SabreError extends Error {
  readonly code: ErrorCode;
  readonly fault: Fault;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SabreError';
    this.code = code;
    this.fault = FAULT[code];
    this.retriable = RETRIABLE.has(code);
  }
}

/** Reasons attached to dead-letter and late lines (stable, documented in the README). */
export type RecordFault =
  | 'invalid-json'
  | 'not-an-object'
  | 'missing-key'
  | 'bad-time'
  /** A valid event time more than --max-future-skew ahead of the wall clock when the record arrived. */
  | 'future-time'
  | 'bad-value'
  | 'too-large'
  | 'bad-flatbuffer'
  /** A job's field (--job) is missing, null where not optional, or of another type than declared. */
  | 'bad-field'
  /** A job's function threw or returned the wrong type for this record (--on-user-error dead-letter; code ERR_USER_FUNCTION). */
  | 'user-function'
  /** --changelog: the record's key belongs to another Kafka partition than the one it was read from (a custom partitioner, or no message key). */
  | 'wrong-partition'
  /** Not a bad record: a push source refused it after --ingest-timeout of full rings (503; code ERR_RING_FULL). */
  | 'refused-full';
