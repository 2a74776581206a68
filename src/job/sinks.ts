// Where a job's outputs go. A job has one default sink and any number of
// named ones; `.to(name)` in the pipeline sends a stream to a named sink
// and goes on. The command line's --sink replaces the default sink.

export type SinkSpec =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'kafka'; readonly topic: string };

export const toStdout = (): SinkSpec => ({ kind: 'stdout' });
export const toFile = (path: string): SinkSpec => ({ kind: 'file', path });
export const toKafka = (topic: string): SinkSpec => ({ kind: 'kafka', topic });

/** The --sink text naming the same target (how the engine opens it). */
export function sinkTarget(s: SinkSpec): string {
  switch (s.kind) {
    case 'stdout': return 'stdout';
    case 'file': return `file:${s.path}`;
    case 'kafka': return `kafka:${s.topic}`;
  }
}
