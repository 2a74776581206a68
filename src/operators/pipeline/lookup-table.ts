// STAND-IN (branch `pipe` only): the `proc` branch owns this file and the real
// LookupTable. This declares the interface the pipeline operator calls so it
// compiles; constructing it fails. At merge, take the `proc` version.
import type { TableSpec } from '../../job/lookup.js';

export class LookupTable {
  readonly version: string = '';

  constructor(_spec: TableSpec<unknown>, _files: Record<string, string>) {
    throw new Error('stand-in LookupTable: .lookup() needs the proc branch');
  }

  get(_key: unknown): object | null { return null; }
  maybeReload(_now: number): void {}
}
