// Standard input, readable ahead of a run without losing what was read: a
// job whose stdin source declares no fields has them inferred from its first
// records (src/engine/sample-source.ts), and the run then reads those records
// again, first. process.stdin is one stream per process, so what a run
// reads is kept here too.
import { Readable } from 'node:stream';

/** After a read-ahead that reached the end of input: the bytes it read (the whole input). */
let replay: Readable | undefined;

/** What a stdin source reads: process.stdin, with any bytes a read-ahead took put back in front. */
export function stdinStream(): Readable {
  const r = replay;
  replay = undefined;
  return r ?? process.stdin;
}

export interface ReadAhead {
  /** Everything read (its last line may be cut, unless `ended`). */
  readonly text: string;
  /** The input ended within the read-ahead (text is all of it). */
  readonly ended: boolean;
}

/**
 * Read `input` (process.stdin) until `lines` non-empty lines, its end, or
 * `waitMs` after the first line arrived, whichever comes first; then put
 * every byte read back so stdinStream() yields them first. A read-ahead that
 * reached the end of input keeps the bytes here instead (a stream that has
 * ended cannot take them back). Nothing arriving at all waits for the first
 * line (or the end), as the run itself would.
 */
export function readAhead(lines: number, waitMs: number, input: Readable = process.stdin): Promise<ReadAhead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    let timer: NodeJS.Timeout | undefined;
    const detach = (): void => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', onError);
      clearTimeout(timer);
    };
    const done = (ended: boolean): void => {
      detach();
      const all = Buffer.concat(chunks);
      if (ended) replay = Readable.from(all.length > 0 ? [all] : []);
      else if (all.length > 0) input.unshift(all);
      resolve({ text: all.toString('utf8'), ended });
    };
    const onReadable = (): void => {
      let chunk: Buffer | string | null;
      while ((chunk = input.read() as Buffer | string | null) !== null) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        chunks.push(buf);
        seen += nonEmptyLines(buf);
        // Unshifted in this same turn: a read that emptied the stream at its end has not yet emitted 'end'.
        if (seen >= lines) return done(false);
      }
      if (seen > 0 && timer === undefined) timer = setTimeout(() => done(false), waitMs);
    };
    const onEnd = (): void => done(true);
    const onError = (e: Error): void => {
      detach();
      reject(e);
    };
    input.on('readable', onReadable);
    input.on('end', onEnd);
    input.on('error', onError);
  });
}

/** Newlines in `buf` that end a line with something on it (an approximation per chunk: enough to count towards a sample). */
function nonEmptyLines(buf: Buffer): number {
  let n = 0;
  let from = 0;
  for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, from)) {
    if (nl > from) n++;
    from = nl + 1;
  }
  return n;
}
