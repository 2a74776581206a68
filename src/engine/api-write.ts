import { SabreError, type RecordFault } from '../errors.js';
import { WRITE_OK, WRITE_TOO_LARGE, type PartitionedWriter } from '../partition/partitioned-writer.js';
import type { RecordExtractor } from '../codec/record-extractor.js';
import type { Source } from '../io/sources/source.js';
import { wallNow } from '../time/wall-clock.js';

/** Source of the `write()`/`tryWrite()` library calls: counted as "api" in the stats. */
export class ApiSource implements Source {
  readonly name = 'api';
  records = 0;
  pauses = 0;
  pausedMs = 0;
  async run(): Promise<void> {}
  stop(): void {}
}

export type DeadLetter = (raw: string, fault: RecordFault, detail: string, where: string) => void;

/**
 * The library write API (`engine.write()`, `engine.tryWrite()`): one record
 * at a time, straight into its ring on the caller's turn, published at once.
 */
export class ApiWriter {
  readonly source = new ApiSource();
  private writer!: PartitionedWriter;
  private fields!: RecordExtractor;

  constructor(private readonly state: () => string, private readonly deadLetter: DeadLetter) {}

  /** The engine started: its rings are open. `fields` reads the records (a job's RowProjector, or RecordFields). */
  bind(writer: PartitionedWriter, fields: RecordExtractor): void {
    this.writer = writer;
    this.fields = fields;
  }

  /** Resolves once the record is in a ring (waits while full). Throws ERR_BAD_RECORD for bad input, which is also dead-lettered. */
  async write(record: unknown): Promise<void> {
    const p = this.writeOne(record);
    if (p < 0) return;
    this.source.pauses++;
    const t0 = performance.now();
    let r = p;
    while (r >= 0) {
      await this.writer.waitForSpace(r);
      r = this.writeOne(record);
    }
    this.source.pausedMs += performance.now() - t0;
  }

  /** false when the record's ring is full (nothing written; retry later). */
  tryWrite(record: unknown): boolean {
    return this.writeOne(record) < 0;
  }

  /** -1 written; ≥ 0 the full partition. */
  private writeOne(record: unknown): number {
    const state = this.state();
    if (state !== 'running') throw new SabreError('ERR_ENGINE_STATE', `write() on a ${state} engine; call start() first`);
    const f = this.fields;
    if (!f.extract(record)) {
      this.deadLetter(safeJson(record), f.fault!, f.detail, 'api');
      throw Object.assign(new SabreError('ERR_BAD_RECORD', `${f.fault}: ${f.detail}`), { reason: f.fault });
    }
    const r = f.write(this.writer, wallNow());
    if (r === WRITE_TOO_LARGE) {
      this.deadLetter(safeJson(record), 'too-large', 'the record does not fit in a ring frame', 'api');
      throw Object.assign(new SabreError('ERR_RECORD_TOO_LARGE', 'the record does not fit in a ring frame; raise --ring-size'), { reason: 'too-large' });
    }
    if (r < WRITE_OK) {
      // An event time out of range or too far ahead: refused like a record extract() declines.
      const why = this.writer.rejection(r)!;
      this.deadLetter(safeJson(record), why.fault, why.detail, 'api');
      throw Object.assign(new SabreError('ERR_BAD_RECORD', `${why.fault}: ${why.detail}`), { reason: why.fault });
    }
    if (r === WRITE_OK) {
      this.source.records++;
      this.writer.publishAll();
      return -1;
    }
    return r;
  }
}

function safeJson(v: unknown): string {
  try {
    return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
