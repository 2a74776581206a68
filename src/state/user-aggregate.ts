import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { SabreError } from '../errors.js';

/**
 * A user-defined aggregate, loaded from a module by every worker. `add` and
 * `merge` may return a new accumulator or mutate and return the old one.
 */
export interface UserAggregate<A = unknown> {
  name: string;
  init(): A;
  /**
   * Optional: `acc`, whose window is gone (purged after its last firing),
   * back at init()'s state for a new window: saves allocating one per window.
   */
  reset?(acc: A): A;
  /**
   * `ownPane` is false only for an aggregate with `panes` set, in a sliding
   * window that does not start at the record's pane (see `panes`).
   */
  add(acc: A, value: number, ownPane?: boolean): A;
  /**
   * Optional: part of the state is kept per pane, one slide of event time.
   * In a sliding window whose size is a multiple of its slide, that part of
   * a record goes only into the window that starts at the record's pane
   * (add's ownPane true; the window's "own pane"), not into all size ÷ slide
   * windows the record is in; a window's value then needs its own pane and
   * those of the key's windows that start after it and before its end (the
   * window stage gives result() their accumulators). In any other window
   * every add is ownPane, so an accumulator holds its whole window.
   */
  readonly panes?: boolean;
  merge(a: A, b: A): A;
  result(acc: A): unknown;
  /** The accumulator as JSON-safe data for checkpoints; absent: the accumulator itself is JSON-stringified. */
  save?(acc: A): unknown;
  /** The inverse of save (given the parsed JSON); absent: the parsed JSON is the accumulator. */
  load?(json: unknown): A;
}

export const BUILTIN_AGGREGATES = ['count', 'sum', 'min', 'max', 'avg'] as const;

/** Import a user aggregate module (default export or named exports) and check its shape. */
export async function loadUserAggregate(path: string): Promise<UserAggregate> {
  const url = path.startsWith('file:') ? path : pathToFileURL(resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new SabreError('ERR_INVALID_OPTION', `--aggregate-module ${path}: cannot import it: ${(e as Error).message}`, { cause: e });
  }
  const agg = (mod.default ?? mod) as Partial<UserAggregate>;
  for (const fn of ['init', 'add', 'merge', 'result'] as const) {
    if (typeof agg[fn] !== 'function') {
      throw new SabreError('ERR_INVALID_OPTION',
        `--aggregate-module ${path}: it must export ${fn}() (the module exports { name, init, add, merge, result })`);
    }
  }
  if (typeof agg.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(agg.name)
    || (BUILTIN_AGGREGATES as readonly string[]).includes(agg.name)) {
    throw new SabreError('ERR_INVALID_OPTION',
      `--aggregate-module ${path}: export a "name" (an identifier other than ${BUILTIN_AGGREGATES.join(', ')})`);
  }
  return agg as UserAggregate;
}
