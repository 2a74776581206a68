// uWebSockets.js as this process runs it: the native addon or the pure-Node
// fallback, chosen and loaded by src/metrics/uws-impl.ts, which also reports
// the choice (detectUws). Import the module from here, never 'uWebSockets.js'
// itself: its main file makes the same choice with fewer options and warns on
// its own.
import { loadUws } from '../metrics/uws-impl.js';

export type Uws = typeof import('uWebSockets.js');

export const uws: Uws = loadUws();
