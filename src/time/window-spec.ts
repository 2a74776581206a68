import { SabreError } from '../errors.js';
import { parseDuration } from './duration.js';

export const WINDOW_TUMBLING = 0;
export const WINDOW_SLIDING = 1;
export const WINDOW_SESSION = 2;

export type WindowSpec =
  | { kind: 'tumbling'; size: number }
  | { kind: 'sliding'; size: number; slide: number }
  | { kind: 'session'; gap: number };

/** "tumbling:1s" | "sliding:10s,1s" | "session:30s" → WindowSpec. */
export function parseWindow(text: string): WindowSpec {
  const m = /^(tumbling|sliding|session):(.+)$/.exec(text.trim());
  const fail = (why: string): never => {
    throw new SabreError('ERR_INVALID_OPTION',
      `--window "${text}": ${why}; use tumbling:SIZE, sliding:SIZE,SLIDE or session:GAP (e.g. tumbling:1s)`);
  };
  if (!m) return fail('unknown window type');
  const parts = m[2]!.split(',');
  const kind = m[1]!;
  if (kind === 'sliding') {
    if (parts.length !== 2) return fail('sliding needs SIZE,SLIDE');
    const size = parseDuration(parts[0]!, '--window size');
    const slide = parseDuration(parts[1]!, '--window slide');
    if (!(size > 0) || !(slide > 0)) return fail('size and slide must be positive');
    if (slide > size) return fail('slide must not exceed size');
    return { kind: 'sliding', size, slide };
  }
  if (parts.length !== 1) return fail(`${kind} takes one duration`);
  const d = parseDuration(parts[0]!, `--window ${kind}`);
  if (!(d > 0)) return fail('the duration must be positive');
  return kind === 'tumbling' ? { kind: 'tumbling', size: d } : { kind: 'session', gap: d };
}

export function formatWindow(w: WindowSpec): string {
  switch (w.kind) {
    case 'tumbling': return `tumbling:${w.size}ms`;
    case 'sliding': return `sliding:${w.size}ms,${w.slide}ms`;
    case 'session': return `session:${w.gap}ms`;
  }
}

/** Start of the tumbling window (or the last sliding window) holding ts: plain arithmetic. */
export function alignDown(ts: number, step: number): number {
  const r = ts % step;
  return r < 0 ? ts - r - step : ts - r;
}
