// The per-key state objects a keyed process function sees (src/job/process.ts):
// one set per key, made from the function's declarations when the key is
// first seen. State is part of every checkpoint, so it must be JSON values;
// toJson says which state broke that rule.
import type { ListState, MapState, StateDecl, ValueState } from '../../job/process.js';
import { SabreError } from '../../errors.js';

/** A declaration's run-time half: how to snapshot and restore it, and whether it holds anything. */
interface Cell {
  empty(): boolean;
  toJson(): unknown;
  fromJson(v: unknown): void;
}

class ValueCell implements ValueState<unknown>, Cell {
  // `initial` is cloned on first read, not per key up front: most keys of a rule touch few states.
  private has = false;
  private v: unknown = undefined;
  constructor(private readonly initial: unknown) {}
  get(): unknown {
    if (!this.has) { this.v = structuredClone(this.initial); this.has = true; }
    return this.v;
  }
  set(v: unknown): void { this.v = v; this.has = true; }
  clear(): void { this.v = undefined; this.has = false; }
  empty(): boolean { return !this.has; }
  toJson(): unknown { return this.v; }
  fromJson(v: unknown): void { this.v = v; this.has = true; }
}

class ListCell implements ListState<unknown>, Cell {
  private vs: unknown[] = [];
  get(): readonly unknown[] { return this.vs; }
  add(v: unknown): void { this.vs.push(v); }
  set(vs: readonly unknown[]): void { this.vs = vs.slice(); }
  clear(): void { this.vs = []; }
  empty(): boolean { return this.vs.length === 0; }
  toJson(): unknown { return this.vs; }
  fromJson(v: unknown): void { this.vs = v as unknown[]; }
}

class MapCell implements MapState<string | number, unknown>, Cell {
  private m = new Map<string | number, unknown>();
  get(k: string | number): unknown { return this.m.get(k); }
  set(k: string | number, v: unknown): void { this.m.set(k, v); }
  has(k: string | number): boolean { return this.m.has(k); }
  delete(k: string | number): void { this.m.delete(k); }
  keys(): (string | number)[] { return [...this.m.keys()]; }
  entries(): [string | number, unknown][] { return [...this.m.entries()]; }
  clear(): void { this.m.clear(); }
  empty(): boolean { return this.m.size === 0; }
  // Entries, not an object: a number key stays a number through a checkpoint.
  toJson(): unknown { return [...this.m.entries()]; }
  fromJson(v: unknown): void { this.m = new Map(v as [string | number, unknown][]); }
}

/** A process function's state declarations, checked once. */
export class StateDecls {
  readonly names: readonly string[];
  private readonly decls: readonly StateDecl[];

  constructor(state: unknown) {
    const names: string[] = [];
    const decls: StateDecl[] = [];
    if (state !== undefined) {
      if (typeof state !== 'object' || state === null) {
        throw new SabreError('ERR_INVALID_JOB', 'a process function\'s `state` must be an object of valueState()/listState()/mapState() declarations');
      }
      for (const [name, d] of Object.entries(state)) {
        const kind = (d as { kind?: unknown } | null)?.kind;
        if (kind !== 'value' && kind !== 'list' && kind !== 'map') {
          throw new SabreError('ERR_INVALID_JOB', `process state '${name}' is not a declaration: use valueState(initial), listState() or mapState()`);
        }
        names.push(name);
        decls.push(d as StateDecl);
      }
    }
    this.names = names;
    this.decls = decls;
  }

  /** One key's state objects, by declaration name. */
  create(): KeyedState {
    const cells: Cell[] = [];
    const view: Record<string, unknown> = {};
    for (let i = 0; i < this.decls.length; i++) {
      const d = this.decls[i]!;
      const c = d.kind === 'value' ? new ValueCell(d.initial) : d.kind === 'list' ? new ListCell() : new MapCell();
      cells.push(c);
      view[this.names[i]!] = c;
    }
    return new KeyedState(this.names, cells, Object.freeze(view));
  }
}

/** One key's state: the object handed to the function as ctx.state, and its snapshot form. */
export class KeyedState {
  constructor(private readonly names: readonly string[], private readonly cells: readonly Cell[], readonly view: object) {}

  empty(): boolean {
    for (const c of this.cells) if (!c.empty()) return false;
    return true;
  }

  /** The non-empty states as JSON text ({name: value}); throws ERR_USER_FUNCTION naming a state that is not JSON. */
  toJson(key: string): string {
    let out = '{';
    for (let i = 0; i < this.cells.length; i++) {
      const c = this.cells[i]!;
      if (c.empty()) continue;
      const name = this.names[i]!;
      let text: string | undefined;
      try {
        text = JSON.stringify(c.toJson());
      } catch (e) {
        throw new SabreError('ERR_USER_FUNCTION',
          `process state '${name}' of key ${JSON.stringify(key)} cannot be checkpointed: ${(e as Error).message}; state must hold JSON values (no BigInt, cycles, functions)`, { cause: e });
      }
      if (text === undefined) {
        throw new SabreError('ERR_USER_FUNCTION',
          `process state '${name}' of key ${JSON.stringify(key)} holds ${typeof c.toJson()}, which JSON cannot store: state must hold JSON values (use null for "none")`);
      }
      out += (out.length > 1 ? ',' : '') + JSON.stringify(name) + ':' + text;
    }
    return out + '}';
  }

  /** Load what toJson wrote; a name no longer declared is dropped (the job changed). */
  fromJson(text: string): void {
    const o = JSON.parse(text) as Record<string, unknown>;
    for (let i = 0; i < this.cells.length; i++) {
      const name = this.names[i]!;
      if (Object.prototype.hasOwnProperty.call(o, name)) this.cells[i]!.fromJson(o[name]);
    }
  }
}
