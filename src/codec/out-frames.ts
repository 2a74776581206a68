// Frames on a worker's out-ring (worker → main). The header is the common
// frame header (frame.ts); F_TIME/F_INGEST carry the window start/end for
// results and the event/ingest time for late records.

/** RESULT body, offsets from the body start (frame + FRAME_HEADER_BYTES). */
export const R_COUNT = 0;
export const R_SUM = 8;
export const R_MIN = 16;
export const R_MAX = 24;
export const R_FIRED_AT = 32; // worker wall clock (epoch ms) when the firing was decided
export const R_INGEST = 40; // latest ingest time folded in since the previous firing
export const R_FIRE = 48; // i32: FIRE_*
export const R_KEY_LEN = 52; // i32
export const R_USER_LEN = 56; // i32: bytes of the user aggregate's JSON result (0 = none)
export const R_PARTITION = 60; // i32
export const R_KEY = 64; // key bytes, then the user JSON bytes
export const RESULT_FIXED_BYTES = 64;

// R_FIRE holds one of the window operator's firing kinds (state/fire-kind.ts).
export { FIRE_WATERMARK, FIRE_EARLY, FIRE_LATE, FIRE_NAMES, type FireKind } from '../state/fire-kind.js';

/** LATE body (a record beyond allowed lateness). */
export const L_VALUE = 0;
export const L_WATERMARK = 8;
export const L_KEY_LEN = 16; // i32
export const L_PARTITION = 20; // i32
export const L_KEY = 24;
export const LATE_FIXED_BYTES = 24;

/**
 * OUTPUT frames (kind KIND_OUTPUT, jobs from --job): one object a pipeline
 * produced, as UTF-8 JSON text in the body (F_BODY_LEN bytes). F_HASH says
 * where it goes: an index into the job plan's sinkNames (≥ 0), or one of
 * the outputs below. F_TIME is the event time it belongs to (a window's
 * start, a record's time), F_INGEST the newest ingest time behind it (latency).
 */
export const OUT_LATE = -1;
/** Dead-letter: the body is { reason, detail, record } (a job function threw: reason "user-function"). */
export const OUT_DEAD_LETTER = -2;
