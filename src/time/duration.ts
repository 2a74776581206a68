import { SabreError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500", "500ms", "2s", "1m", "1h" → milliseconds. Numbers pass through. */
export function parseDuration(input: string | number, what: string): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input);
    if (m) return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
  }
  throw new SabreError('ERR_INVALID_OPTION',
    `${what}: "${input}" is not a duration; use a number of ms or a value like 500ms, 2s, 1m`);
}
