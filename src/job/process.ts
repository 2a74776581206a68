// Keyed process functions: per-key state and timers, any number of outputs
// (compare Flink's KeyedProcessFunction). The way to write sequence rules
// such as "three declines then an approval within five minutes".
// Workers run them (src/operators/pipeline/process-stage.ts); their state
// and timers are part of every checkpoint, so state must be JSON values.

export interface ValueState<V> {
  get(): V;
  set(v: V): void;
  clear(): void;
}
export interface ListState<V> {
  get(): readonly V[];
  add(v: V): void;
  set(vs: readonly V[]): void;
  clear(): void;
}
export interface MapState<K extends string | number, V> {
  get(k: K): V | undefined;
  set(k: K, v: V): void;
  has(k: K): boolean;
  delete(k: K): void;
  keys(): K[];
  entries(): [K, V][];
  clear(): void;
}

/** State descriptors: declared once in the process function, one instance per key at run time. */
export type StateDecl =
  | { readonly kind: 'value'; readonly initial: unknown }
  | { readonly kind: 'list' }
  | { readonly kind: 'map' };

export interface ValueDecl<V> { readonly kind: 'value'; readonly initial: V; readonly __v?: V }
export interface ListDecl<V> { readonly kind: 'list'; readonly __v?: V }
export interface MapDecl<K extends string | number, V> { readonly kind: 'map'; readonly __k?: K; readonly __v?: V }

export function valueState<V>(initial: V): ValueDecl<V> {
  return { kind: 'value', initial };
}
export function listState<V>(): ListDecl<V> {
  return { kind: 'list' };
}
export function mapState<K extends string | number, V>(): MapDecl<K, V> {
  return { kind: 'map' };
}

/** The per-key state objects a process function sees for its declarations. */
export type StateOf<D> = {
  readonly [K in keyof D]: D[K] extends ValueDecl<infer V> ? ValueState<V>
    : D[K] extends ListDecl<infer V> ? ListState<V>
    : D[K] extends MapDecl<infer MK, infer V> ? MapState<MK, V> : never;
};

export interface Timers {
  /** Call onTimer when the watermark reaches `t` (event time, epoch ms). One timer per key and time. */
  eventTime(t: number): void;
  /** Call onTimer when the wall clock reaches `t` (epoch ms; checked every --tick). */
  processingTime(t: number): void;
  deleteEventTime(t: number): void;
  deleteProcessingTime(t: number): void;
}

export interface ProcessContext<D, O> {
  /** The current key (as the main thread partitioned on it). */
  readonly key: string;
  /** Event time of the record (onRecord) or the timer's time (onTimer). */
  readonly timestamp: number;
  /** The partition's watermark. */
  readonly watermark: number;
  readonly state: StateOf<D>;
  readonly timers: Timers;
  emit(out: O): void;
}

export interface ProcessFunction<T, D, O> {
  readonly state?: D;
  onRecord(record: T, ctx: ProcessContext<D, O>): void;
  /** A timer set by this key fired; `domain` says which clock. */
  onTimer?(time: number, domain: 'event' | 'processing', ctx: ProcessContext<D, O>): void;
}
