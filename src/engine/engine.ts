import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { resolveOptions, type RawOptions, type ResolvedOptions } from '../options.js';
import { jobOptions, namedSinkTargets } from '../options/job-options.js';
import { planShape } from '../job/plan-shape.js';
import { stageLabels } from '../job/describe.js';
import { JobOutputs, jobKeyFields } from './job-outputs.js';
import { jobStatsReader } from './job-stats.js';
import { memberStatsReader } from './member-stats.js';
import { openLookupTables, type LookupTables } from './lookup-tables.js';
import { SabreError } from '../errors.js';
import { Doorbell } from '../ring/doorbell.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { PartitionedWriter } from '../partition/partitioned-writer.js';
import { Counters, P_RECORDS_IN, P_RECORDS_PROCESSED } from '../metrics/counters.js';
import type { SnapshotOptions, SourceStats, StatsSnapshot } from '../metrics/stats-snapshot.js';
import { needsLines } from '../io/sinks/line-sink.js';
import { RecordFields } from '../codec/json/record-fields.js';
import { RowProjector } from '../codec/row-writer.js';
import type { RecordExtractor } from '../codec/record-extractor.js';
import { type Handover, type Source, type SourceContext } from '../io/sources/source.js';
import { wallNow } from '../time/wall-clock.js';
import { IngestPort } from '../io/sources/ingest-port.js';
import { checkOutputTargets } from '../io/sinks/output-targets.js';
import { CheckpointAbandoned, type Checkpointer } from '../checkpoint/checkpointer.js';
import { checkpointPath, type Manifest, type RestorePoint } from '../checkpoint/manifest.js';
import type { WindowResult } from '../codec/window-result.js';
import type { WorkerSummary } from './worker-contract.js';
import type { EngineOptions, RunSummary, StopOptions } from './engine-types.js';
import { WorkerPool } from './worker-pool.js';
import { OutDrain } from './out-drain.js';
import { Pump } from './pump.js';
import { ApiWriter } from './api-write.js';
import { SinkSet } from './sink-wiring.js';
import { createCheckpointer, findRecovery, startCheckpointTimer } from './recovery.js';
import { createTopology } from './topology.js';
import { openSource } from './source-factory.js';
import { SpinGateSampler, chooseSpin } from './spin-gate-sampler.js';
import { Observability, sourcesStats } from './observability.js';
import { workerError, workerTasks, workersLooping } from './worker-tasks.js';
import { loadJobAggregate } from './job-aggregate.js';
import { Rewinder, type RewindStats } from './rewind.js';

export type { EngineOptions, RunSummary, SourceStats, StopOptions } from './engine-types.js';
export type { RewindStats } from './rewind.js';

/**
 * Lifecycle of one run: sources → partitioned writer → rings → worker pool →
 * out-rings → sinks. The main thread never blocks: it writes while rings
 * have room, and one async pump (./pump.ts) drains the out-rings, wakes
 * sources waiting for space and sends watermarks to idle partitions. This
 * class opens the pieces in order, fails the run as one, and closes them.
 */
export class Engine {
  readonly options: ResolvedOptions;
  readonly counters: Counters;
  private readonly extra: EngineOptions;
  private state: 'new' | 'running' | 'stopping' | 'stopped' | 'failed' = 'new';
  private readonly bell = Doorbell.create();
  private rings: RingBuffer[] = [];
  private writer!: PartitionedWriter;
  private drain!: OutDrain;
  private pump: Pump | undefined;
  private pool!: WorkerPool;
  private readonly sinks = new SinkSet();
  private readonly sources: Source[] = [];
  private readonly api = new ApiWriter(() => this.state, (raw, fault, detail, where) => this.sinks.deadLetter(raw, fault, detail, where));
  private fields!: RecordFields;
  private callbacks: ((r: WindowResult) => void)[] = [];
  private workerRuns: Promise<WorkerSummary>[] = [];
  private pumpDone: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private failure: unknown;
  private finishing: Promise<RunSummary> | undefined;
  private checkpointer: Checkpointer | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private rewinder: Rewinder | undefined;
  private readonly spinGate: SpinGateSampler;
  private restored: RestorePoint | undefined;
  private readonly obs = new Observability();
  /** Scale-out (--changelog): rebalances begun (revoked()), and the rewind under way with the count when it began. */
  private revocations = 0;
  /** Checkpoints taken as the group rebalanced, before this member re-joined (commitBeforeRevoke). */
  revocationCheckpoints = 0;
  private rewindingFor: { epoch: number; revocations: number } | undefined;
  /** A job's Kafka lookup tables, kept in files for the workers. */
  private tables: LookupTables | undefined;
  private resolveDone!: (s: RunSummary) => void;
  private rejectDone!: (e: unknown) => void;
  /** Settles when the run is over: the source ended, stop() was called, or a worker failed. */
  readonly done: Promise<RunSummary>;

  constructor(options: EngineOptions = {}) {
    const { slowMicrosPerRecord, workerExecArgv, httpListenPort, job, ...raw } = options;
    if (typeof job === 'string') {
      throw new SabreError('ERR_INVALID_OPTION', 'job: pass the loaded job (await loadJob(path)), not its path');
    }
    this.extra = { slowMicrosPerRecord, workerExecArgv, httpListenPort, job };
    // A job's source, sinks and time settings apply under the options given here (src/options/job-options.ts).
    const resolved = resolveOptions((job ? jobOptions(raw, job.plan) : raw) as RawOptions);
    // A job's checkpoints carry the shape of its state in their fingerprint (checkpoint/manifest.ts).
    this.options = job ? { ...resolved, jobShape: planShape(job.plan) } : resolved;
    const o = this.options;
    this.counters = Counters.create({ partitions: o.partitions, workers: o.workers, stages: job ? stageLabels(job.plan).length : 0 });
    this.spinGate = new SpinGateSampler(this.counters);
    this.done = new Promise((res, rej) => { this.resolveDone = res; this.rejectDone = rej; });
    this.done.catch(() => {}); // observed through start()/stop() too; never an unhandled rejection
  }

  onResult(cb: (r: WindowResult) => void): void {
    this.callbacks.push(cb);
    this.drain?.callbacks.push(cb);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new SabreError('ERR_ENGINE_STATE', `start() called on a ${this.state} engine`);
    try {
      await this.startInner();
    } catch (e) {
      // Release whatever was opened (sinks, a Kafka producer, threads, the server) so the process can exit.
      this.state = 'running';
      this.fail(e);
      for (const s of this.sources) s.stop();
      throw e;
    }
  }

  private async startInner(): Promise<void> {
    const o = this.options;
    const running = (): boolean => this.state === 'running';
    const plan = this.extra.job?.plan;
    const named = plan ? namedSinkTargets(plan, o.sinks ?? '') : [];
    if (o.changelog !== undefined) refuseUncommittedSinks(named);
    // Before anything is opened or read: a target that cannot be written fails here, with nothing lost.
    checkOutputTargets(o, named.map(([n, spec]) => [`sink "${n}"`, spec] as const));
    const aggregateModule = o.aggregateModule ? pathToFileURL(resolvePath(o.aggregateModule)).href : undefined;
    const userAgg = aggregateModule ? await loadJobAggregate(aggregateModule, o.aggregates) : undefined;
    const committed = await this.sinks.openTransactional(o, plan ? { named, keyFields: jobKeyFields(plan) } : undefined);
    const { restored, nextId } = findRecovery(o, committed, this.sinks.committing?.name);
    this.restored = restored;
    const restoredId = restored?.manifest.id ?? 0;
    await this.sinks.open(o, restoredId, (e) => this.fail(e));
    await this.sinks.openNamed(o, named, (e) => this.fail(e), restoredId);

    const topology = createTopology(o, this.counters, this.bell);
    this.rings = topology.rings;
    this.writer = topology.writer;
    const sinks = this.sinks;
    this.drain = new OutDrain(topology.outRings, o.aggregates, userAgg?.name, sinks.sink, sinks.late, needsLines(sinks.sink));
    if (plan) {
      this.drain.jobOutputs = new JobOutputs({ sinkNames: plan.sinkNames, named: sinks.named, deadLetter: (line) => sinks.deadLetterLine(line) });
    }
    const pump = new Pump(this.bell, this.drain, this.writer, () => sinks.drained(), o, running);
    this.pump = pump;
    this.drain.callbacks.push(...this.callbacks);
    this.drain.startEpoch(nextId);
    sinks.committing?.begin(nextId);
    if (o.checkpointDir) {
      this.checkpointer = createCheckpointer({
        o, nextId, counters: this.counters, writer: this.writer, sources: this.sources, drain: this.drain, sinks, bell: this.bell,
        fail: (e) => this.fail(e),
      });
    }
    const rewindAt = Rewinder.dirFor(o.checkpointDir);
    this.rewinder = new Rewinder(rewindAt.dir, rewindAt.own, {
      writer: this.writer, drain: this.drain,
      workers: Array.from({ length: o.workers }, (_, w) => w).filter((w) => topology.partitioner.partitionsOfWorker(w).length > 0),
      abandonCheckpoint: () => this.checkpointer?.abandon('a rewind replaced the state it was taking'),
      forget: () => {
        this.writer.forgetEventTime(wallNow());
        pump.forgetWatermarks();
      },
    });
    this.fields = new RecordFields(o.key, o.time, o.value, o.aggregates.some((a) => a !== 'count'));
    this.api.bind(this.writer, this.jobExtractor() ?? this.fields);

    // The source is created before any thread starts, so a bad spec fails start() cleanly.
    const source = await openSource(o, restored, (name) => this.openIngest(name), this.extra.httpListenPort, this.extra.job);
    this.sources.push(this.api.source);
    if (source) this.sources.push(source);
    // Several ordered inputs (Kafka partitions): watermarks are the source's minimum over them, not records' own.
    if (source?.watermark) pump.watermarkSource = source;
    // --changelog: a Kafka partition per ring, each driven by its own progress only (docs/SCALING.md);
    // and a commit only while the coordinator still counts this member in a stable group.
    pump.perPartition = o.changelog !== undefined;
    if (o.changelog !== undefined && source?.stillMember && this.sinks.committing) {
      this.sinks.committing.commitGuard = () => source.stillMember!();
    }

    // Before the workers start: they load every table once, at start.
    if (plan) this.tables = await openLookupTables(plan, o.brokers);
    this.pool = new WorkerPool({ workers: o.workers, execArgv: this.extra.workerExecArgv, youngGenerationMb: o.workerYoungGeneration });
    const spin = chooseSpin(o);
    this.spinGate.start(spin, o.workers);
    this.startedAt = wallNow();
    this.state = 'running';
    const tasks = workerTasks({
      o, topology, counters: this.counters, spin,
      watermarkFromRecords: pump.watermarkSource === undefined, aggregateModule,
      slowMicrosPerRecord: this.extra.slowMicrosPerRecord, restoreFiles: restored?.snapshotFiles, rewindDir: rewindAt.dir,
      job: this.extra.job ? {
        module: this.extra.job.url, onUserError: o.onUserError, tables: this.tables?.files, dir: dirname(this.extra.job.plan.module),
        fields: this.extra.job.inferred?.fields,
      } : undefined,
    });
    for (const task of tasks) {
      const run = this.pool.run(task);
      run.catch((e: unknown) => this.fail(workerError(task.worker, e)));
      this.workerRuns.push(run);
    }
    const member = memberStatsReader(source, () => this.sinks.committing, () => this.rewindStats);
    await this.obs.start({
      o, httpListenPort: this.extra.httpListenPort, counters: this.counters, rings: this.rings, sources: this.sources,
      workerOf: (p) => topology.partitioner.workerOfPartition(p),
      deadLetters: () => sinks.deadLetters, pool: this.pool, drain: this.drain, stats: (so) => this.stats(so),
      ...(plan ? { job: jobStatsReader(plan, o.source, o.sink, named, this.drain.jobOutputs!, this.counters) } : {}),
      ...(member ? { member } : {}),
      ingest: () => ({ httpPort: this.openIngest('http'), wsPort: this.openIngest('ws'), onResult: (cb) => this.onResult(cb), accepting: running }),
    });
    // A sink error thrown in the pump (a write after the sink failed) fails the run.
    this.pumpDone = pump.run().catch((e: unknown) => this.fail(e));
    // Sources start once every worker is looping, so start-up is not measured as queueing and nothing waits on thread creation.
    await workersLooping(this.counters, o.workers, running);
    // Idle time counts from now: no partition is idle before the source had a chance to feed it.
    this.writer.lastWrite.fill(wallNow());
    if (this.checkpointer) this.checkpointTimer = startCheckpointTimer(this.checkpointer, o.checkpointInterval, running);
    if (source) {
      source.run(this.sourceContext()).then(
        () => { if (this.state === 'running') void this.stop(); },
        (e: unknown) => this.fail(e instanceof SabreError ? e : new SabreError('ERR_SOURCE', `${source.name}: ${(e as Error).message}`, { cause: e })),
      );
    }
  }

  /**
   * A door for a push source (HTTP, WebSocket, Kafka): records written through
   * it are counted under `name` in the stats and dead-lettered there when bad.
   */
  openIngest(name: string): IngestPort {
    if (!this.writer || this.state === 'stopped' || this.state === 'failed') {
      throw new SabreError('ERR_ENGINE_STATE', `openIngest() on a ${this.state} engine; call start() first`);
    }
    const o = this.options;
    const job = this.extra.job;
    const fields = job ? { key: o.key, time: job.plan.timeField, value: o.value, needsValue: false, extractor: this.jobExtractor() }
      : { key: o.key, time: o.time, value: o.value, needsValue: this.fields.needsValue };
    const port = new IngestPort(name, this.writer, fields,
      (raw, fault, detail, where) => this.sinks.deadLetter(raw, fault, detail, where));
    this.sources.push(port);
    return port;
  }

  /** A job's records are projected to its fields (one projector per input path: it holds the record being written). */
  private jobExtractor(): RecordExtractor | undefined {
    return this.extra.job ? RowProjector.of(this.extra.job.plan) : undefined;
  }

  /** Library API: write one record; resolves once it is in a ring (waits while full). Throws ERR_BAD_RECORD for bad input, which is also dead-lettered. */
  write(record: unknown): Promise<void> {
    return this.api.write(record);
  }

  /** Library API: false when the record's ring is full (nothing written; retry later). */
  tryWrite(record: unknown): boolean {
    return this.api.tryWrite(record);
  }

  /**
   * Replace every partition's state, in-band (after every frame written so far):
   * the workers load `files` (snapshot files of any layout: per worker `worker-W.snap`
   * or per partition `partition-P.snap`, as restoreFiles are; each worker keeps the key
   * groups it owns, partitions no file covers start empty, with no watermark). Results,
   * late records and outputs the workers produce before they reach the rewind are
   * dropped (never reach a sink or callback); results after it belong to checkpoint
   * epoch `epoch`. Resolves once every worker has rewound. The caller makes sure no
   * source writes meanwhile and abandons any checkpoint in flight (its barrier acks
   * are dropped too; this abandons one still waiting for acks itself, see
   * Checkpointer.abandon, so that the next can start). One rewind at a time.
   * Threads, rings, sinks and the HTTP server stay up throughout.
   */
  rewind(files: readonly string[], epoch: number): Promise<void> {
    if (this.state !== 'running') return Promise.reject(new SabreError('ERR_ENGINE_STATE', `rewind() on a ${this.state} engine`));
    return this.rewinder!.rewind(files, epoch);
  }

  /** Rewinds so far: how many, the last one's duration, results they dropped. */
  get rewindStats(): RewindStats {
    return this.rewinder?.stats ?? { rewinds: 0, lastRewindMs: 0, rewoundResults: 0 };
  }

  /** With --checkpoint-dir: the id (= result epoch) the next checkpoint takes; the epoch to give rewind() after abandoning one. */
  get nextCheckpointId(): number | undefined {
    return this.checkpointer?.nextCheckpointId;
  }

  /** End the input, fire what END fires (or checkpoint, see StopOptions), flush the sinks, release the threads. */
  stop(options: StopOptions = {}): Promise<RunSummary> {
    if (this.finishing) return this.finishing;
    if (this.state === 'new') return Promise.reject(new SabreError('ERR_ENGINE_STATE', 'stop() before start()'));
    if (options.checkpoint && !this.checkpointer) {
      return Promise.reject(new SabreError('ERR_INVALID_OPTION', 'stop({ checkpoint: true }) needs --checkpoint-dir'));
    }
    // A failure while finishing (a sink that cannot flush or close) fails the run: threads, server and sinks are released.
    this.finishing = this.finish(options.checkpoint === true).catch((e: unknown) => {
      this.fail(e);
      throw this.failure ?? e;
    });
    this.finishing.then(this.resolveDone, this.rejectDone);
    return this.finishing;
  }

  private async finish(savepoint: boolean): Promise<RunSummary> {
    if (this.state === 'failed') throw this.failure;
    this.state = 'stopping';
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.spinGate.stop();
    // A member of a consumer group (--changelog) stays in it until the last checkpoint below committed.
    let committed!: () => void;
    const lastCommit = new Promise<void>((r) => { committed = r; });
    try {
      for (const s of this.sources) {
        s.leaveAfter?.(lastCommit);
        s.stop();
      }
      return await this.finishStopped(savepoint, committed);
    } finally {
      committed();
    }
  }

  private async finishStopped(savepoint: boolean, committed: () => void): Promise<RunSummary> {
    const cp = this.checkpointer;
    if (cp) await cp.idle();
    if (savepoint) {
      // Everything written so far goes into the checkpoint; open windows stay open in it.
      await cp!.trigger().catch((e: unknown) => {
        // --changelog: the group rebalanced meanwhile; this member's partitions go on elsewhere from their last commit.
        if (!(e instanceof CheckpointAbandoned)) throw e;
        process.stderr.write(`[sabre] ${e.message}: nothing more is committed; the partitions' next owners go on from their last commit\n`);
      });
      await this.writer.end(false);
    } else {
      await this.writer.end(true);
    }
    // A worker failing meanwhile fails the run: stop() rejects with the run's error (ERR_WORKER_CRASHED), not the raw one.
    const workers = await Promise.all(this.workerRuns).catch((e: unknown) => { throw this.failure ?? e; });
    // Every worker returned after writing its DONE frame: drain until all are read (unless a sink failed meanwhile).
    while (this.drain.workersDone < this.options.workers && !this.failed) await yieldToLoop();
    this.pump?.stop();
    this.bell.ring();
    await this.pumpDone;
    if (this.failed) throw this.failure;
    // END fired everything: commit that last epoch with a final, stateless checkpoint.
    if (cp && !savepoint) await cp.finalCheckpoint();
    committed();
    await this.sinks.close();
    // Sources release last (a Kafka source's final commit and group leave follow the drained output).
    await Promise.all(this.sources.map((s) => s.closed));
    this.obs.stop();
    const created = this.pool.created;
    const destroyed = this.pool.destroyed;
    await this.pool.close();
    await this.tables?.stop();
    this.rewinder?.close();
    this.state = 'stopped';
    return this.summary(workers, created, destroyed);
  }

  /** The run failed meanwhile (read through a getter: an await may have passed since `state` was last set here). */
  private get failed(): boolean {
    return this.state === 'failed';
  }

  private fail(e: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.state = 'failed';
    this.failure = e;
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.spinGate.stop();
    this.checkpointer?.abort(e);
    this.rewinder?.fail(e);
    this.rewinder?.close();
    this.sinks.closeAfterFailure();
    for (const s of this.sources) s.stop();
    this.writer?.fail(e);
    this.obs.stop();
    this.pump?.stop();
    this.bell.ring();
    void this.pool?.close().catch(() => {});
    void this.tables?.stop().catch(() => {});
    this.rejectDone(e);
  }

  /** Live figures, read from shared counters without messages. */
  snapshot(): { recordsIn: number; recordsProcessed: number; results: number; late: number; deadLetter: number;
    sources: SourceStats[]; ringOccupancy: number[]; elapsedMs: number } {
    return {
      recordsIn: this.counters.sumPartitions(P_RECORDS_IN),
      recordsProcessed: this.counters.sumPartitions(P_RECORDS_PROCESSED),
      results: this.drain?.resultLines ?? 0,
      late: this.drain?.lateLines ?? 0,
      deadLetter: this.sinks.deadLetters,
      sources: sourcesStats(this.sources),
      ringOccupancy: this.rings.map((r) => r.occupancy()),
      elapsedMs: wallNow() - this.startedAt,
    };
  }

  /** A running source by name (e.g. "kafka:trades"), for tools and tests. */
  source(name: string): Source | undefined {
    return this.sources.find((s) => s.name === name && !(s instanceof IngestPort));
  }

  /** Every figure of the run (the JSON of /api/stats; `{ distributions: true }` adds the full percentile distributions). */
  stats(options: SnapshotOptions = {}): StatsSnapshot {
    if (!this.obs.hub) throw new SabreError('ERR_ENGINE_STATE', 'stats() needs metrics (the metrics option is off, or the engine has not started)');
    return this.obs.hub.snapshot(undefined, options);
  }

  /**
   * Start counting stage latencies afresh in stats().latency.sinceMark, e.g.
   * after a warm-up, for steady-state percentiles (the run-long figures go on).
   * Splits at the workers' snapshot granularity (1 s).
   */
  markLatency(): void {
    if (!this.obs.hub) throw new SabreError('ERR_ENGINE_STATE', 'markLatency() needs metrics (the metrics option is off, or the engine has not started)');
    this.obs.hub.markLatency();
  }

  /** The HTTP server's bound port (metrics, dashboard, ingest), if it runs. */
  get httpPort(): number | undefined {
    return this.obs.http?.port;
  }

  /** The checkpoint this run restored from, if any. */
  get restoredFrom(): number | undefined {
    return this.restored?.manifest.id;
  }

  get threadCount(): number {
    return this.pool?.threadCount ?? 0;
  }

  private summary(workers: WorkerSummary[], created: number, destroyed: number): RunSummary {
    const s = this.snapshot();
    return {
      recordsIn: s.recordsIn, recordsProcessed: s.recordsProcessed, results: s.results, late: s.late,
      deadLetter: s.deadLetter, elapsedMs: s.elapsedMs, workers, sources: s.sources,
      threadsCreated: created, threadsDestroyed: destroyed,
      checkpoints: this.checkpointer ? { ...this.checkpointer.stats, restoredFrom: this.restored?.manifest.id } : undefined,
    };
  }

  private sourceContext(): SourceContext {
    return {
      writer: this.writer,
      deadLetter: (raw, fault, detail, where) => this.sinks.deadLetter(raw, fault, detail, where),
      watermark: (t) => this.pump!.raiseWatermark(t),
      partitionWatermark: (p, t) => this.pump!.raisePartitionWatermark(p, t),
      revoked: () => this.revoked(),
      revoking: (budgetMs) => this.commitBeforeRevoke(budgetMs),
      abandoned: () => this.abandonUncommitted(),
      rewound: (files, epoch) => this.rewound(files, epoch),
    };
  }

  /** Scale-out (--changelog): a rebalance began. No checkpoint starts or completes, and nothing open commits, until rewound(). */
  private revoked(): void {
    this.revocations++;
    const cp = this.checkpointer;
    if (cp) {
      cp.suspended = true;
      cp.abandon('the consumer group is rebalancing; its work is redone from the changelog');
    }
    this.sinks.committing?.fence?.();
  }

  /**
   * Scale-out: the group rebalances and this member re-joins once this
   * resolves (the coordinator hands its partitions out only after that): a
   * checkpoint now — after the one in flight, if any — commits what it did
   * with them, so their next owners (this member included) redo nothing.
   * Whatever does not complete within the budget commits nothing: revoked()
   * fences the sink and abandons it, and the next owners redo that work.
   */
  private async commitBeforeRevoke(budgetMs: number): Promise<Handover | undefined> {
    const cp = this.checkpointer;
    // Not running, or a rewind under way (fenced: its state is not one to commit): nothing to commit.
    if (cp === undefined || this.state !== 'running' || this.rewindingFor !== undefined || cp.suspended) {
      this.revoked();
      return undefined;
    }
    cp.suspended = true;
    const deadline = performance.now() + budgetMs;
    const wait = (p: Promise<unknown>): Promise<unknown> => Promise.race([
      p.catch(() => {}), delay(Math.max(0, deadline - performance.now()), undefined, { ref: false })]);
    try {
      await wait(cp.idle());
      if (!cp.busy && this.state === 'running' && performance.now() < deadline) {
        const t0 = performance.now();
        const m = await wait(cp.trigger()) as Manifest | undefined;
        const committed = m !== undefined && this.sinks.committing?.committedCheckpoint === m.id;
        process.stderr.write(`[sabre] the group is rebalancing: ${committed ? `checkpoint ${m.id} committed` : 'no checkpoint committed'} `
          + `before re-joining (${Math.round(performance.now() - t0)} ms)\n`);
        if (committed) {
          this.revocationCheckpoints++;
          const dir = checkpointPath(this.options.checkpointDir!, m.id);
          return { files: m.snapshots.map((s) => join(dir, s.file)), sources: m.sources };
        }
      }
      return undefined;
    } finally {
      this.revoked();
    }
  }

  /**
   * Scale-out: a new assignment. Everything since the last commit is undone:
   * the sink's open transaction is aborted now, before the source reads the
   * changelog it may have begun writing, and results of the undone work are
   * dropped (they carry epochs up to nextCheckpointId; the rewound workers'
   * will carry the epoch returned).
   */
  private async abandonUncommitted(): Promise<number> {
    this.revoked();
    const epoch = this.checkpointer!.skipEpoch();
    this.rewindingFor = { epoch, revocations: this.revocations };
    await this.sinks.committing?.abort?.(epoch);
    return epoch;
  }

  /**
   * Scale-out: the assignment's committed state is in `files`: the workers
   * load it in place of theirs, and checkpoints and commits go on — unless
   * the group began rebalancing again meanwhile (the partitions may be
   * another member's already: nothing commits until the next rewind), or the
   * run is stopping (its savepoint then commits nothing: what it would hold
   * was never restored; the next owners redo it from the last commit).
   */
  private async rewound(files: readonly string[], epoch: number): Promise<void> {
    if (this.state !== 'running') return;
    await this.rewind(files, epoch);
    const r = this.rewindingFor;
    if (this.state !== 'running' || r === undefined || r.epoch !== epoch || r.revocations !== this.revocations) return;
    this.rewindingFor = undefined;
    this.sinks.committing?.resume?.(epoch);
    this.checkpointer!.suspended = false;
  }
}

/**
 * A member of a scaled-out job (--changelog) commits its outputs in its Kafka
 * transaction and throws away what it did not commit at each rebalance: a
 * named sink outside that transaction (a file) would keep results of undone
 * work, or lose committed ones when another member takes over.
 */
function refuseUncommittedSinks(named: readonly (readonly [string, string])[]): void {
  for (const [name, spec] of named) {
    if (spec.startsWith('kafka:') && spec.length > 6) continue;
    throw new SabreError('ERR_INVALID_OPTION', `--changelog: the job's sink "${name}" writes to ${spec}; a member commits its outputs `
      + `in its Kafka transaction, so every sink must be a Kafka topic: give --sinks ${name}=kafka:TOPIC`);
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
