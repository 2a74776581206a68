// Why a window fired: on the watermark, early (--early-fire, processing
// time) or late (a record within --allowed-lateness updated a fired window).
// The window operator decides it; result frames (codec/out-frames.ts R_FIRE)
// and the sinks carry it as this number / name.

export const FIRE_WATERMARK = 0;
export const FIRE_EARLY = 1;
export const FIRE_LATE = 2;
/** Names by number, as the result lines spell them. */
export const FIRE_NAMES = ['watermark', 'early', 'late'] as const;
export type FireKind = (typeof FIRE_NAMES)[number];
