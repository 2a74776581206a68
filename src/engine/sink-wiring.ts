import type { ResolvedOptions } from '../options.js';
import type { RecordFault } from '../errors.js';
import { openLineSink, type LineSink } from '../io/sinks/line-sink.js';
import { loadSinkModule, type SinkModule } from '../io/plugins.js';
import { PartFileSink } from '../io/sinks/part-file-sink.js';
import { isCommittingSink, type CommittingSink } from '../io/sinks/committing-sink.js';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import type { Doorbell } from '../ring/doorbell.js';
import { SabreError } from '../errors.js';

/**
 * The run's three sinks (results, late records, dead letters), and how the
 * results are exactly-once with checkpoints: part files committed with their
 * checkpoint (`--sink file:` with --checkpoint-dir), or a transactional sink
 * that commits downstream (src/io/sinks/committing-sink.ts). Opened in two steps
 * around the choice of the checkpoint to restore.
 */
export class SinkSet {
  sink!: LineSink;
  late!: LineSink;
  dead!: LineSink;
  partSink: PartFileSink | undefined;
  committing: CommittingSink | undefined;
  deadLetters = 0;
  /** A job's named sinks (job({ sinks })), by name; the default sink is `sink`. */
  readonly named = new Map<string, LineSink>();
  private module: SinkModule | undefined;

  /** Every sink results go to: the results sink and a job's named sinks. */
  private outputs(): LineSink[] {
    return [this.sink, ...this.named.values()];
  }

  /**
   * Before the checkpoint to restore is chosen: a transactional sink opens
   * now. Opening fences the process this one replaces (aborting its open
   * transaction), and the last checkpoint it committed — returned — is the
   * newest one we may restore.
   */
  async openTransactional(o: ResolvedOptions): Promise<number | undefined> {
    this.module = await loadSinkModule(o.sink);
    if (o.sinkTransactional) {
      this.sink = await this.module!.createSink(o.sink, o);
      if (isCommittingSink(this.sink)) this.committing = this.sink;
    }
    return this.committing?.committedCheckpoint;
  }

  /** Once the restore point is known: the results sink (unless open already), late output and dead letters. */
  async open(o: ResolvedOptions, restoredId: number, onError: (e: unknown) => void): Promise<void> {
    if (o.checkpointDir && o.sink.startsWith('file:')) {
      // Exactly-once file output: per-checkpoint part files, committed with their checkpoint.
      this.partSink = new PartFileSink(o.sink, o.sink.slice(5));
      this.partSink.recover(restoredId);
      this.sink = this.partSink;
    } else if (!this.committing) {
      this.sink = this.module ? await this.module.createSink(o.sink, o) : openLineSink(o.sink, '--sink');
    }
    this.late = openLineSink(o.lateOutput, '--late-output');
    this.dead = openLineSink(o.deadLetter, '--dead-letter');
    // A sink failing between writes (an asynchronous write error) fails the run at once: no later checkpoint completes.
    for (const s of [this.sink, this.late, this.dead]) s.onError = onError;
  }

  /**
   * A job's named sinks (`targets`: name → --sink text), opened as --sink is.
   * They are at-least-once: a Kafka one is not transactional (one
   * transactional id per run belongs to the results sink), a file one is
   * written in place, not in part files.
   */
  async openNamed(o: ResolvedOptions, targets: readonly (readonly [string, string])[], onError: (e: unknown) => void): Promise<void> {
    const plain = { ...o, sinkTransactional: false, transactionalId: undefined };
    for (const [name, spec] of targets) {
      const what = `sink "${name}"`;
      let sink: LineSink;
      try {
        const module = await loadSinkModule(spec);
        sink = module ? await module.createSink(spec, plain) : openLineSink(spec, what);
      } catch (e) {
        if (e instanceof SabreError && e.code === 'ERR_SINK_OPEN') throw e;
        throw new SabreError('ERR_SINK_OPEN', `${what} ${spec}: ${(e as Error).message}`, { cause: e });
      }
      sink.onError = onError;
      this.named.set(name, sink);
    }
  }

  deadLetter(raw: string, fault: RecordFault, detail: string, where: string): void {
    this.deadLetters++;
    // A refused record is not bad: it met rings that stayed full (the push client was answered 503 and told to resend it).
    const code = fault === 'refused-full' ? 'ERR_RING_FULL' : 'ERR_BAD_RECORD';
    this.dead.write(`${JSON.stringify({ code, reason: fault, detail, source: where, input: raw })}\n`, 1);
  }

  /** A dead letter a worker wrote (a job's record whose function threw), as its line. */
  deadLetterLine(line: string): void {
    this.deadLetters++;
    this.dead.write(line, 1);
  }

  /** Settles once the results and late sinks can take more (the pump waits here while the out-drain is blocked). */
  drained(): Promise<unknown> {
    return Promise.all([...this.outputs().map((s) => s.drained()), this.late.drained()]);
  }

  close(): Promise<unknown> {
    return Promise.all([...this.outputs().map((s) => s.close()), this.late.close(), this.dead.close()]);
  }

  /** After a failure: release whatever was opened. Uncommitted output stays uncommitted: part files are recovered by the next run. */
  closeAfterFailure(): void {
    void Promise.allSettled([this.sink?.close(), ...[...this.named.values()].map((s) => s.close()), this.late?.close(), this.dead?.close()]);
  }

  /**
   * A checkpoint claims only output that reached its target: the results
   * before its barrier (handed to the sinks before the last ack was read) are
   * flushed, part files fsynced, before its manifest is written; a complete
   * checkpoint then commits its part files or its transaction.
   */
  wireCheckpoints(cp: Checkpointer, fail: (e: unknown) => void, bell: Doorbell): void {
    cp.beforeManifest.push(async (id) => {
      try {
        await Promise.all([...this.outputs().map((s) => s.flush?.(id)), this.late.flush?.(id), this.dead.flush?.(id)]);
      } catch (e) {
        fail(e);
        throw e;
      }
    });
    if (this.partSink) {
      const ps = this.partSink;
      cp.onComplete.push(async (m) => {
        try {
          await ps.commit(m.id);
        } catch (e) {
          fail(e); // the manifest stands: its parts are fsynced, and the next run's recover() renames them
          throw e;
        }
      });
    }
    if (this.committing) {
      // Exactly-once Kafka output: the checkpoint's transaction commits now (with the source offsets).
      const tx = this.committing;
      cp.onComplete.push(async (m) => {
        try {
          await tx.commitCheckpoint(m);
        } catch (e) {
          fail(e);
          throw e;
        } finally {
          bell.ring(); // out-rings the sink held (a later epoch) may be read again
        }
      });
      cp.onFailed.push((id) => {
        tx.abandon(id);
        bell.ring();
      });
    }
  }
}
