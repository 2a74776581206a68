// Window builders for `.window(...)`: the same windows and semantics as --window.
import type { WindowSpec } from '../time/window-spec.js';
import { parseWindow } from '../time/window-spec.js';

/** A duration: milliseconds, or text such as "500ms", "10s", "1m", "1h". */
export type Duration = number | string;

function text(d: Duration): string {
  return typeof d === 'number' ? `${d}ms` : d;
}

export function tumbling(size: Duration): WindowSpec {
  return parseWindow(`tumbling:${text(size)}`);
}

export function sliding(size: Duration, slide: Duration): WindowSpec {
  return parseWindow(`sliding:${text(size)},${text(slide)}`);
}

export function session(gap: Duration): WindowSpec {
  return parseWindow(`session:${text(gap)}`);
}
