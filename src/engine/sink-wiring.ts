import type { ResolvedOptions } from '../options.js';
import type { RecordFault } from '../errors.js';
import { openLineSink, type LineSink } from '../io/sinks/line-sink.js';
import { loadSinkModule, type SinkModule } from '../io/plugins.js';
import { PartFileSink } from '../io/sinks/part-file-sink.js';
import { isCommittingSink, type CommittingSink } from '../io/sinks/committing-sink.js';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import type { Doorbell } from '../ring/doorbell.js';
import { SabreError } from '../errors.js';
import { defaultTransactionalId } from '../options/rules.js';
import type { TransactionalKafkaSink } from '../io/kafka/sink/transactional-sink.js';

/** A job's sinks as the sink set needs them: its named sinks (name → --sink text) and how its Kafka messages are keyed. */
export interface JobSinks {
  readonly named: readonly (readonly [string, string])[];
  /** The job's key fields (src/engine/job-outputs.ts jobKeyFields): a Kafka message's key. */
  readonly keyFields: readonly string[];
}

const isKafka = (spec: string): boolean => spec.startsWith('kafka:') && spec.length > 6;

/**
 * The run's three sinks (results, late records, dead letters) and a job's
 * named sinks, and how the results are exactly-once with checkpoints: part
 * files committed with their checkpoint (`file:` sinks with --checkpoint-dir,
 * the results sink and named ones alike), or one transactional sink that
 * commits downstream (src/io/sinks/committing-sink.ts) — every Kafka sink of
 * the run writes in its transactions. Opened in steps around the choice of
 * the checkpoint to restore.
 */
export class SinkSet {
  sink!: LineSink;
  late!: LineSink;
  dead!: LineSink;
  /** Part-file sinks (the results sink's and named ones), committed with each checkpoint. */
  readonly partSinks: PartFileSink[] = [];
  committing: CommittingSink | undefined;
  /** With checkpoints, a job's named Kafka sinks write in `committing`'s transactions (its lanes). */
  private namedTransactional = false;
  private keyFields: readonly string[] | undefined;
  deadLetters = 0;
  /** A job's named sinks (job({ sinks })), by name; the default sink is `sink`. */
  readonly named = new Map<string, LineSink>();
  private module: SinkModule | undefined;

  /** Every sink results go to: the results sink and a job's named sinks (each once: a named one may own the transactions). */
  private outputs(): LineSink[] {
    return [...new Set([this.sink, ...this.named.values()])];
  }

  /**
   * Before the checkpoint to restore is chosen: a transactional sink opens
   * now. Opening fences the process this one replaces (aborting its open
   * transaction), and the last checkpoint it committed — returned — is the
   * newest one we may restore.
   */
  async openTransactional(o: ResolvedOptions, job?: JobSinks): Promise<number | undefined> {
    this.module = await loadSinkModule(o.sink);
    this.keyFields = job?.keyFields;
    const kafkaNamed = (job?.named ?? []).filter(([, spec]) => isKafka(spec));
    // Named Kafka sinks follow the results sink: transactional with it, or (results elsewhere) whenever checkpoints are on.
    this.namedTransactional = o.checkpointDir !== undefined && kafkaNamed.length > 0 && (o.sinkTransactional || !isKafka(o.sink));
    const laneTopics = this.namedTransactional ? kafkaNamed.map(([, spec]) => spec.slice(6)) : [];
    if (o.sinkTransactional) {
      this.sink = await this.module!.createSink(o.sink, o, { keyFields: this.keyFields, laneTopics });
      if (isCommittingSink(this.sink)) this.committing = this.sink;
    } else if (this.namedTransactional) {
      // No Kafka results sink: the first named Kafka sink owns the run's transactions.
      const [name, spec] = kafkaNamed[0]!;
      const module = (await loadSinkModule(spec))!;
      const txo = { ...o, sink: spec, sinkTransactional: true, transactionalId: defaultTransactionalId(spec.slice(6), o.checkpointDir!) };
      const owner = await this.openNamedSink(name, spec, () => module.createSink(spec, txo, { keyFields: this.keyFields, laneTopics: laneTopics.slice(1) }));
      if (isCommittingSink(owner)) this.committing = owner;
      this.named.set(name, owner);
    }
    return this.committing?.committedCheckpoint;
  }

  /** Once the restore point is known: the results sink (unless open already), late output and dead letters. */
  async open(o: ResolvedOptions, restoredId: number, onError: (e: unknown) => void): Promise<void> {
    if (o.checkpointDir && o.sink.startsWith('file:')) {
      // Exactly-once file output: per-checkpoint part files, committed with their checkpoint.
      this.sink = this.partFiles(o.sink, '--sink', restoredId);
    } else if (!o.sinkTransactional) {
      this.sink = this.module ? await this.module.createSink(o.sink, o, { keyFields: this.keyFields }) : openLineSink(o.sink, '--sink');
    }
    this.late = openLineSink(o.lateOutput, '--late-output');
    this.dead = openLineSink(o.deadLetter, '--dead-letter');
    // A sink failing between writes (an asynchronous write error) fails the run at once: no later checkpoint completes.
    for (const s of [this.sink, this.late, this.dead]) s.onError = onError;
  }

  /** Part files for `spec` (file:PATH), recovered to checkpoint `restoredId` (see PartFileSink.recover). */
  private partFiles(spec: string, what: string, restoredId: number): PartFileSink {
    const ps = new PartFileSink(spec, spec.slice(5), what);
    ps.recover(restoredId);
    this.partSinks.push(ps);
    return ps;
  }

  private async openNamedSink(name: string, spec: string, open: () => Promise<LineSink> | LineSink): Promise<LineSink> {
    try {
      return await open();
    } catch (e) {
      if (e instanceof SabreError && e.code === 'ERR_SINK_OPEN') throw e;
      throw new SabreError('ERR_SINK_OPEN', `sink "${name}" ${spec}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * A job's named sinks (`targets`: name → --sink text), with the results
   * sink's guarantees: with --checkpoint-dir a file one is part files
   * committed with each checkpoint (recovered to `restoredId`), a Kafka one
   * writes in the run's transactions (a lane of `committing`); without, they
   * are opened as --sink is.
   */
  async openNamed(o: ResolvedOptions, targets: readonly (readonly [string, string])[], onError: (e: unknown) => void, restoredId = 0): Promise<void> {
    const plain = { ...o, sinkTransactional: false, transactionalId: undefined };
    for (const [name, spec] of targets) {
      const what = `sink "${name}"`;
      let sink = this.named.get(name); // the transactions' owner, opened already
      if (sink === undefined) {
        if (this.namedTransactional && isKafka(spec)) sink = (this.committing as unknown as TransactionalKafkaSink).lane(spec.slice(6), this.keyFields);
        else if (o.checkpointDir !== undefined && spec.startsWith('file:') && spec.length > 5) sink = this.partFiles(spec, what, restoredId);
        else {
          sink = await this.openNamedSink(name, spec, async () => {
            const module = await loadSinkModule(spec);
            return module ? module.createSink(spec, plain, { keyFields: this.keyFields }) : openLineSink(spec, what);
          });
        }
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
    void Promise.allSettled([...[...new Set([this.sink, ...this.named.values(), this.committing])].map((s) => s?.close()), this.late?.close(), this.dead?.close()]);
  }

  /**
   * A checkpoint claims only output that reached its target: the results
   * before its barrier (handed to the sinks before the last ack was read) are
   * flushed, part files fsynced, before its manifest is written; a complete
   * checkpoint then commits its transaction, then its part files. In that
   * order: committed output is never taken back. A crash between the two
   * leaves part files `.inprogress` that the restart's recover() commits
   * (the transaction committed, so that checkpoint is restored); in the other
   * order, the restart would restore the checkpoint before (its transaction
   * never committed) and discard part files already committed.
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
    for (const ps of this.partSinks) {
      cp.onComplete.push(async (m) => {
        try {
          await ps.commit(m.id);
        } catch (e) {
          fail(e); // the manifest stands: its parts are fsynced, and the next run's recover() renames them
          throw e;
        }
      });
    }
  }
}
