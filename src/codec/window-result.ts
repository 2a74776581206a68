import type { FireKind } from './out-frames.js';

/** One window firing, as handed to `onResult` callbacks (decoded from a result frame by the engine's out-drain). */
export interface WindowResult {
  key: string;
  start: number;
  end: number;
  fire: FireKind;
  [aggregate: string]: unknown;
}
