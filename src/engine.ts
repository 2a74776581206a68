import type { SourceStats } from './metrics/stats-snapshot.js';
import { availableParallelism, cpus } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { resolve as resolvePath } from 'node:path';
import { resolveOptions, type RawOptions, type ResolvedOptions } from './options.js';
import { SabreError, type ErrorCode, type RecordFault } from './errors.js';
import { Doorbell } from './ring/doorbell.js';
import { RingBuffer } from './ring/ring-buffer.js';
import { AsyncSleep, SPIN_AUTO } from './ring/wait-strategy.js';
import { Partitioner } from './partition/partitioner.js';
import { PartitionedWriter, WRITE_OK, WRITE_TOO_LARGE } from './partition/partitioned-writer.js';
import { Counters, P_RECORDS_IN, P_RECORDS_PROCESSED, W_LOOP_WALL, W_SPIN_GATE } from './metrics/counters.js';
import { SpinGate, machineBusyMs, processCpuMs } from './ring/spin-gate.js';
import { WorkerPool } from './worker-pool.js';
import { OutDrain, type WindowResult } from './io/out-drain.js';
import { openLineSink, needsLines, type LineSink } from './io/line-sink.js';
import { RecordFields } from './io/record-fields.js';
import { wallNow, type Source, type SourceContext } from './io/source.js';
import { GeneratorSource } from './io/generator/generator-source.js';
import { IngestPort } from './io/ingest-port.js';
import { loadSinkModule, loadSourceModule } from './io/plugins.js';
import { NdjsonSource } from './io/ndjson-source.js';
import { loadUserAggregate } from './state/user-aggregate.js';
import type { WorkerSummary, WorkerTask } from './engine/worker-contract.js';
import { Checkpointer, type CheckpointStats } from './checkpoint/checkpointer.js';
import { findRestorePoint, jobFingerprint, listCheckpoints, type RestorePoint } from './checkpoint/manifest.js';
import { PartFileSink } from './io/part-file-sink.js';
import { checkOutputTargets } from './io/output-targets.js';
import { isCommittingSink, type CommittingSink } from './io/committing-sink.js';
import { readdirSync, existsSync } from 'node:fs';
import { MetricsHub } from './metrics/metrics-hub.js';
import type { SnapshotOptions, StatsSnapshot } from './metrics/stats-snapshot.js';
import { FIRE_EARLY } from './codec/out-frames.js';
import { startHttpServer, type HttpServer } from './server/http-server.js';
import { addIngestRoutes, type IngestRoutes } from './server/ingest-routes.js';

/** Options for createEngine: every CLI option (camelCase) plus library-only ones. */
export interface EngineOptions extends RawOptions {
  /** Tests only: make every worker busy-wait this long per record. */
  slowMicrosPerRecord?: number;
  /** Tests only: bind the HTTP server to this port (0 = an ephemeral one) instead of --http-port. */
  httpListenPort?: number;
  /**
   * The workers' execArgv (default: the process's). Node 20 refuses V8 heap flags here
   * (ERR_WORKER_INVALID_EXEC_ARGV); the young generation per worker is --worker-young-generation.
   */
  workerExecArgv?: string[];
}

export type { SourceStats } from './metrics/stats-snapshot.js';

export interface RunSummary {
  recordsIn: number;
  recordsProcessed: number;
  results: number;
  late: number;
  deadLetter: number;
  elapsedMs: number;
  workers: WorkerSummary[];
  sources: SourceStats[];
  /** Piscina threads created/destroyed over the run: W and 0 when nothing was recycled. */
  threadsCreated: number;
  threadsDestroyed: number;
  /** With --checkpoint-dir: checkpoints completed, and the one this run restored from. */
  checkpoints?: CheckpointStats & { restoredFrom: number | undefined };
}

/** How stop() ends the run. */
export interface StopOptions {
  /**
   * true: take a final checkpoint and stop without firing open windows (they
   * live on in the checkpoint and fire after a restore). false: END — every
   * open window fires. Default: END.
   */
  checkpoint?: boolean;
}

/** Source of the `write()`/`tryWrite()` library calls. */
class ApiSource implements Source {
  readonly name = 'api';
  records = 0;
  pauses = 0;
  pausedMs = 0;
  async run(): Promise<void> {}
  stop(): void {}
}

const PUMP_SLEEP_MS = 50;
/** How often the machine is sampled for the workers' auto spin: often enough to follow a broker's or a test suite's load. */
const SPIN_GATE_SAMPLE_MS = 500;
const IDLE_SWEEP_MS = 100;

/**
 * Lifecycle of one run: sources → partitioned writer → rings → worker pool →
 * out-rings → sinks. The main thread never blocks: it writes while rings
 * have room, and one async "pump" drains the out-rings, wakes sources
 * waiting for space and sends watermarks to idle partitions, sleeping on the
 * main doorbell (Atomics.waitAsync) when there is nothing to do.
 */
export class Engine {
  readonly options: ResolvedOptions;
  readonly counters: Counters;
  private readonly extra: EngineOptions;
  private state: 'new' | 'running' | 'stopping' | 'stopped' | 'failed' = 'new';
  private bell = Doorbell.create();
  private rings: RingBuffer[] = [];
  private outRings: RingBuffer[] = [];
  private writer!: PartitionedWriter;
  private drain!: OutDrain;
  private pool!: WorkerPool;
  private sink!: LineSink;
  private lateSink!: LineSink;
  private deadSink!: LineSink;
  private sources: Source[] = [];
  private readonly api = new ApiSource();
  private fields!: RecordFields;
  private callbacks: ((r: WindowResult) => void)[] = [];
  private workerRuns: Promise<WorkerSummary>[] = [];
  private pumpDone: Promise<void> = Promise.resolve();
  private pumpStop = false;
  private startedAt = 0;
  private deadLetters = 0;
  private sentWatermark!: Float64Array;
  /** The source that drives watermarks (it has watermark(): several ordered inputs), if any. */
  private watermarkSource: Source | undefined;
  /** Largest watermark that source reported (what every partition is sent). */
  private sourceWatermark = -Infinity;
  private lastIdleSweep = 0;
  private failure: unknown;
  private finishing: Promise<RunSummary> | undefined;
  private checkpointer: Checkpointer | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  /** Samples the machine for the workers' auto spin (src/ring/spin-gate.ts); undefined with a fixed --spin. */
  private spinGateTimer: NodeJS.Timeout | undefined;
  private restored: RestorePoint | undefined;
  private partSink: PartFileSink | undefined;
  private committing: CommittingSink | undefined;
  private hub: MetricsHub | undefined;
  private http: HttpServer | undefined;
  private ingest: IngestRoutes | undefined;
  private resolveDone!: (s: RunSummary) => void;
  private rejectDone!: (e: unknown) => void;
  /** Settles when the run is over: the source ended, stop() was called, or a worker failed. */
  readonly done: Promise<RunSummary>;

  constructor(options: EngineOptions = {}) {
    const { slowMicrosPerRecord, workerExecArgv, httpListenPort, ...raw } = options;
    this.extra = { slowMicrosPerRecord, workerExecArgv, httpListenPort };
    this.options = resolveOptions(raw);
    const o = this.options;
    this.counters = Counters.create({ partitions: o.partitions, workers: o.workers });
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
    // Before anything is opened or read: a target that cannot be written fails here, with nothing lost.
    checkOutputTargets(o);
    const aggregateModule = o.aggregateModule ? pathToFileURL(resolvePath(o.aggregateModule)).href : undefined;
    const userAgg = aggregateModule ? await loadUserAggregate(aggregateModule) : undefined;
    if (userAgg && !o.aggregates.includes(userAgg.name)) {
      throw new SabreError('ERR_INVALID_OPTION',
        `--aggregate-module exports "${userAgg.name}" but --agg (${o.aggregates.join(',')}) does not ask for it`);
    }
    for (const a of o.aggregates) {
      if (a !== 'count' && !['sum', 'min', 'max', 'avg'].includes(a) && a !== userAgg?.name) {
        throw new SabreError('ERR_INVALID_OPTION', `--agg: unknown aggregate "${a}"`);
      }
    }
    const sinkModule = await loadSinkModule(o.sink);
    if (o.sinkTransactional) {
      // Opened before choosing the checkpoint: opening fences the process this one replaces (aborting
      // its open transaction), and the last checkpoint it committed is the newest one we may restore.
      this.sink = await sinkModule!.createSink(o.sink, o);
      if (isCommittingSink(this.sink)) this.committing = this.sink;
    }
    const committed = this.committing?.committedCheckpoint;
    // Checkpoints: find what to restore before anything else is opened (a corrupt dir fails here, cleanly).
    this.restored = findRestorePoint(o, committed);
    const restoredId = this.restored?.manifest.id ?? 0;
    for (const why of this.restored?.skipped ?? []) process.stderr.write(`[sabre] skipped a corrupt checkpoint: ${why}\n`);
    if (committed !== undefined) reportUncommitted(o.checkpointDir!, o.sink, committed, restoredId);
    // Ids only grow, past every checkpoint directory and the sink's last commit, so no id is ever reused.
    const nextId = o.checkpointDir
      ? Math.max(restoredId, committed ?? 0, ...listCheckpoints(o.checkpointDir), ...chkDirIds(o.checkpointDir)) + 1 : 1;
    if (o.checkpointDir && o.sink.startsWith('file:')) {
      // Exactly-once file output: per-checkpoint part files, committed with their checkpoint.
      this.partSink = new PartFileSink(o.sink, o.sink.slice(5));
      this.partSink.recover(restoredId);
      this.sink = this.partSink;
    } else if (!this.committing) {
      this.sink = sinkModule ? await sinkModule.createSink(o.sink, o) : openLineSink(o.sink, '--sink');
    }
    this.lateSink = openLineSink(o.lateOutput, '--late-output');
    this.deadSink = openLineSink(o.deadLetter, '--dead-letter');
    // A sink failing between writes (an asynchronous write error) fails the run at once: no later checkpoint completes.
    for (const s of [this.sink, this.lateSink, this.deadSink]) s.onError = (e) => this.fail(e);

    const partitioner = new Partitioner(o.keyGroups, o.partitions, o.workers);
    const workerBells = Array.from({ length: o.workers }, () => Doorbell.create());
    this.rings = Array.from({ length: o.partitions },
      (_, p) => RingBuffer.create(o.ringSize, workerBells[partitioner.workerOfPartition(p)]!, this.bell));
    this.outRings = workerBells.map((wb) => RingBuffer.create(o.outRingSize, this.bell, wb));
    this.writer = new PartitionedWriter(this.rings, partitioner, this.counters, o.maxBatch, o.maxFutureSkew > 0 ? o.maxFutureSkew : Infinity);
    this.sentWatermark = new Float64Array(o.partitions).fill(-Infinity);
    this.drain = new OutDrain(this.outRings, o.aggregates, userAgg?.name, this.sink, this.lateSink, needsLines(this.sink));
    this.drain.callbacks.push(...this.callbacks);
    this.drain.startEpoch(nextId);
    this.committing?.begin(nextId);
    if (o.checkpointDir) {
      this.checkpointer = new Checkpointer({
        dir: o.checkpointDir, retained: o.checkpointsRetained, job: jobFingerprint(o), keyGroups: o.keyGroups,
        partitions: o.partitions, workers: o.workers, nextId, counters: this.counters,
      }, this.writer, () => this.sources);
      const cp = this.checkpointer;
      this.drain.onBarrierAck = (w, id, bytes) => cp.onAck(w, id, bytes);
      // A checkpoint claims only output that reached its target: the results before its barrier (handed to the
      // sinks before the last ack was read) are flushed, part files fsynced, before its manifest is written.
      cp.beforeManifest.push(async (id) => {
        try {
          await Promise.all([this.sink.flush?.(id), this.lateSink.flush?.(id), this.deadSink.flush?.(id)]);
        } catch (e) {
          this.fail(e);
          throw e;
        }
      });
      if (this.partSink) {
        const ps = this.partSink;
        cp.onComplete.push(async (m) => {
          try {
            await ps.commit(m.id);
          } catch (e) {
            this.fail(e); // the manifest stands: its parts are fsynced, and the next run's recover() renames them
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
            this.fail(e);
            throw e;
          } finally {
            this.bell.ring(); // out-rings the sink held (a later epoch) may be read again
          }
        });
        cp.onFailed.push((id) => {
          tx.abandon(id);
          this.bell.ring();
        });
      }
      // Sources that commit upstream (Kafka offsets) do so only for records of a complete checkpoint
      // (unless the transactional sink committed them already, atomically with the results).
      cp.onComplete.push(async (m) => {
        for (const src of this.sources) {
          const at = m.sources.find((x) => x.name === src.name);
          if (at && src.commitCheckpoint && src.name !== this.committing?.commitsPositionsOf) await src.commitCheckpoint(at.position);
        }
      });
    }
    this.fields = new RecordFields(o.key, o.time, o.value, o.aggregates.some((a) => a !== 'count'));

    // The source is created before any thread starts, so a bad spec fails start() cleanly.
    const sourceModule = await loadSourceModule(o.source);
    const resume = this.restored?.manifest.sources.find((s) => s.name === o.source)?.position;
    const source = sourceModule ? await sourceModule.createSource(o.source, o, this.openIngest(o.source), resume) : this.createSource();
    this.sources.push(this.api);
    if (source) this.sources.push(source);
    // Several ordered inputs (Kafka partitions): watermarks are the source's minimum over them, not records' own.
    if (source?.watermark) this.watermarkSource = source;

    this.pool = new WorkerPool({ workers: o.workers, execArgv: this.extra.workerExecArgv, youngGenerationMb: o.workerYoungGeneration });
    // Spinning threads on an oversubscribed machine only steal the CPU from the thread they wait for.
    const spin = o.spin >= 0 ? o.spin : o.workers + 1 > availableParallelism() ? 0 : SPIN_AUTO;
    // W_SPIN_GATE says whether idle workers poll (stats); with auto spin the gate's sampler keeps it current.
    this.setSpinGate(spin !== 0);
    const tickMs = Math.max(1, Math.min(100, o.earlyFire > 0 ? o.earlyFire : 100));
    if (spin === SPIN_AUTO) this.startSpinGate(o.workers);
    this.startedAt = wallNow();
    this.state = 'running';
    for (let w = 0; w < o.workers; w++) {
      const partitions = partitioner.partitionsOfWorker(w);
      const task: WorkerTask = {
        worker: w, partitions,
        rings: partitions.map((p) => this.rings[p]!.handle), out: this.outRings[w]!.handle,
        bell: workerBells[w]!.sab, counters: this.counters.sab,
        counterLayout: { partitions: o.partitions, workers: o.workers },
        window: o.window, outOfOrderness: o.outOfOrderness, allowedLateness: o.allowedLateness,
        watermarkFromRecords: this.watermarkSource === undefined, earlyFire: o.earlyFire, spin, maxBatch: o.maxBatch, tickMs, aggregateModule,
        slowMicrosPerRecord: this.extra.slowMicrosPerRecord,
        keyGroups: o.keyGroups, totalPartitions: o.partitions, metrics: o.metrics,
        checkpointDir: o.checkpointDir, restoreFiles: this.restored?.snapshotFiles,
      };
      const run = this.pool.run(task);
      run.catch((e: unknown) => this.fail(workerError(w, e)));
      this.workerRuns.push(run);
    }
    const httpWanted = o.httpPort > 0 || this.extra.httpListenPort !== undefined;
    if (o.metrics || httpWanted) {
      this.hub = new MetricsHub({
        counters: this.counters,
        ringOccupancy: () => this.rings.map((r) => r.occupancy()),
        sources: () => sourcesStats(this.sources),
        mainCounts: () => ({ deadLetter: this.deadLetters, rejected: this.sources.reduce((a, x) => a + ((x as IngestPort).rejected ?? 0), 0) }),
      }).start();
      this.hub.attach(this.pool.piscina);
      const hub = this.hub;
      const emitRec = Array.from({ length: o.workers }, (_, w) => hub.recorder('emit', w));
      const earlyRec = Array.from({ length: o.workers }, (_, w) => hub.recorder('early', w));
      // Emit: watermark passed the end (the worker's firing time) → line handed to the sink; early: ingest → sink.
      this.drain.observer = {
        onResult: (w, fire, firedAt, ingest, now) => {
          if (fire === FIRE_EARLY) earlyRec[w]!.recordValue((now - ingest) * 1000);
          else emitRec[w]!.recordValue((now - firedAt) * 1000);
        },
      };
    }
    const listen = this.extra.httpListenPort ?? o.httpPort;
    if (httpWanted) {
      const hub = this.hub;
      this.http = await startHttpServer({
        host: o.httpHost, listenPort: listen, allowedOrigins: o.allowedOrigins,
        stats: (so) => this.stats(so),
        histogram: (stage, w) => hub?.hgrm(stage, w),
      });
      // Push ingest (POST /ingest, /ws/ingest) and live results (/ws/results) on the same app.
      this.ingest = addIngestRoutes(this.http.app, {
        httpPort: this.openIngest('http'), wsPort: this.openIngest('ws'),
        onResult: (cb) => this.onResult(cb), accepting: () => this.state === 'running', options: o,
      });
      const routes = this.ingest;
      if (this.hub) this.hub.inputs.ingest = () => routes.stats();
    }
    // A sink error thrown in the pump (a write after the sink failed) fails the run.
    this.pumpDone = this.pump().catch((e: unknown) => this.fail(e));
    // Sources start once every worker is looping, so start-up is not measured as queueing and nothing waits on thread creation.
    await this.workersLooping();
    // Idle time counts from now: no partition is idle before the source had a chance to feed it.
    this.writer.lastWrite.fill(wallNow());
    if (this.checkpointer) {
      const cp = this.checkpointer;
      this.checkpointTimer = setInterval(() => {
        if (cp.busy || this.state !== 'running') return;
        cp.trigger().catch((e: unknown) => {
          if (this.state === 'running') process.stderr.write(`[sabre] checkpoint failed: ${(e as Error).message}\n`);
        });
      }, o.checkpointInterval);
      this.checkpointTimer.unref();
    }
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
    const port = new IngestPort(name, this.writer, { key: o.key, time: o.time, value: o.value, needsValue: this.fields.needsValue },
      (raw, fault, detail, where) => this.deadLetter(raw, fault, detail, where));
    this.sources.push(port);
    return port;
  }

  private async workersLooping(): Promise<void> {
    const deadline = performance.now() + 30_000;
    for (;;) {
      let ready = 0;
      for (let w = 0; w < this.options.workers; w++) if (this.counters.worker(w, W_LOOP_WALL) > 0) ready++;
      if (ready === this.options.workers || this.state !== 'running') return;
      if (performance.now() > deadline) {
        throw new SabreError('ERR_WORKER_CRASHED', `only ${ready} of ${this.options.workers} workers started within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Library API: write one record; resolves once it is in a ring (waits while full). Throws ERR_BAD_RECORD for bad input, which is also dead-lettered. */
  async write(record: unknown): Promise<void> {
    const p = this.writeOne(record);
    if (p < 0) return;
    this.api.pauses++;
    const t0 = performance.now();
    let r = p;
    while (r >= 0) {
      await this.writer.waitForSpace(r);
      r = this.writeOne(record);
    }
    this.api.pausedMs += performance.now() - t0;
  }

  /** Library API: false when the record's ring is full (nothing written; retry later). */
  tryWrite(record: unknown): boolean {
    return this.writeOne(record) < 0;
  }

  /** -1 written; ≥ 0 the full partition. */
  private writeOne(record: unknown): number {
    if (this.state !== 'running') throw new SabreError('ERR_ENGINE_STATE', `write() on a ${this.state} engine; call start() first`);
    const f = this.fields;
    if (!f.extract(record)) {
      this.deadLetter(safeJson(record), f.fault!, f.detail, 'api');
      throw Object.assign(new SabreError('ERR_BAD_RECORD', `${f.fault}: ${f.detail}`), { reason: f.fault });
    }
    const r = this.writer.writeRecord(f.key, f.time, f.value, wallNow());
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
      this.api.records++;
      this.writer.publishAll();
      return -1;
    }
    return r;
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
    clearInterval(this.spinGateTimer);
    for (const s of this.sources) s.stop();
    const cp = this.checkpointer;
    if (cp) await cp.idle();
    if (savepoint) {
      // Everything written so far goes into the checkpoint; open windows stay open in it.
      await cp!.trigger();
      await this.writer.end(false);
    } else {
      await this.writer.end(true);
    }
    // A worker failing meanwhile fails the run: stop() rejects with the run's error (ERR_WORKER_CRASHED), not the raw one.
    const workers = await Promise.all(this.workerRuns).catch((e: unknown) => { throw this.failure ?? e; });
    // Every worker returned after writing its DONE frame: drain until all are read (unless a sink failed meanwhile).
    while (this.drain.workersDone < this.options.workers && !this.failed) await yieldToLoop();
    this.pumpStop = true;
    this.bell.ring();
    await this.pumpDone;
    if (this.failed) throw this.failure;
    // END fired everything: commit that last epoch with a final, stateless checkpoint.
    if (cp && !savepoint) await cp.finalCheckpoint();
    await Promise.all([this.sink.close(), this.lateSink.close(), this.deadSink.close()]);
    // Sources release last (a Kafka source's final commit and group leave follow the drained output).
    await Promise.all(this.sources.map((s) => s.closed));
    this.hub?.stop();
    this.ingest?.close();
    this.http?.close();
    const created = this.pool.created;
    const destroyed = this.pool.destroyed;
    await this.pool.close();
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
    clearInterval(this.spinGateTimer);
    this.checkpointer?.abort(e);
    // Uncommitted output stays uncommitted: part files are recovered by the next run.
    void Promise.allSettled([this.sink?.close(), this.lateSink?.close(), this.deadSink?.close()]);
    for (const s of this.sources) s.stop();
    this.writer?.fail(e);
    this.hub?.stop();
    this.ingest?.close();
    this.http?.close();
    this.pumpStop = true;
    this.bell.ring();
    void this.pool?.close().catch(() => {});
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
      deadLetter: this.deadLetters,
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
    if (!this.hub) throw new SabreError('ERR_ENGINE_STATE', 'stats() needs metrics (the metrics option is off, or the engine has not started)');
    return this.hub.snapshot(undefined, options);
  }

  /**
   * Start counting stage latencies afresh in stats().latency.sinceMark, e.g.
   * after a warm-up, for steady-state percentiles (the run-long figures go on).
   * Splits at the workers' snapshot granularity (1 s).
   */
  markLatency(): void {
    if (!this.hub) throw new SabreError('ERR_ENGINE_STATE', 'markLatency() needs metrics (the metrics option is off, or the engine has not started)');
    this.hub.markLatency();
  }

  /** The HTTP server's bound port (metrics, dashboard, ingest), if it runs. */
  get httpPort(): number | undefined {
    return this.http?.port;
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

  private createSource(): Source | undefined {
    const o = this.options;
    const nd = { keyField: o.key, timeField: o.time, valueField: o.value, needsValue: o.aggregates.some((a) => a !== 'count') };
    if (o.source === 'api') return undefined;
    if (o.source === 'http') {
      // Push only: no loop of its own, so the run ends only at stop() (Ctrl-C); records come through the ingest routes' ports.
      if (o.httpPort === 0 && this.extra.httpListenPort === undefined) {
        throw new SabreError('ERR_INVALID_OPTION', '--source http takes records only from POST /ingest and WS /ws/ingest: '
          + 'it needs the HTTP server; give --http-port a port (not 0)');
      }
      return undefined;
    }
    const resume = this.restored?.manifest.sources.find((s) => s.name === o.source)?.position as Record<string, number> | undefined;
    if (o.source === 'generator') {
      return new GeneratorSource({
        kind: o.generator, seed: o.seed, keys: o.keys, keyBytes: o.keyBytes, disorder: o.disorder, eventsPerMs: o.eventsPerMs,
        rate: o.rate, count: o.count, durationMs: o.duration, startAt: resume?.records ?? 0,
      });
    }
    if (o.source === 'stdin') {
      if (resume) throw new SabreError('ERR_INVALID_OPTION', 'stdin cannot be rewound: a job reading stdin cannot restore from a checkpoint');
      return NdjsonSource.stdin(nd);
    }
    if (o.source.startsWith('file:') && o.source.length > 5) return NdjsonSource.file(o.source.slice(5), nd, resume as { bytes: number; lines: number } | undefined);
    throw new SabreError('ERR_INVALID_OPTION', `--source "${o.source}": use generator, file:PATH, stdin, kafka:TOPIC, http (or api from the library)`);
  }

  private sourceContext(): SourceContext {
    return {
      writer: this.writer,
      deadLetter: (raw, fault, detail, where) => this.deadLetter(raw, fault, detail, where),
      watermark: (t) => this.raiseWatermark(t),
    };
  }

  private deadLetter(raw: string, fault: RecordFault, detail: string, where: string): void {
    this.deadLetters++;
    // A refused record is not bad: it met rings that stayed full (the push client was answered 503 and told to resend it).
    const code = fault === 'refused-full' ? 'ERR_RING_FULL' : 'ERR_BAD_RECORD';
    this.deadSink.write(`${JSON.stringify({ code, reason: fault, detail, source: where, input: raw })}\n`, 1);
  }

  /** How the pump waits: never blocking the main thread. */
  private readonly idle = new AsyncSleep(this.bell);
  private readonly pumpReady = (): boolean => this.drain.hasData() || this.pumpStop;

  /** The main thread's consumer loop (see the class comment). */
  /** Every SPIN_GATE_SAMPLE_MS: may idle workers poll? (They read the answer from their counters slot.) */
  private startSpinGate(workers: number): void {
    const gate = new SpinGate(cpus().length, workers + 1);
    let busy = machineBusyMs();
    let own = processCpuMs();
    let at = performance.now();
    this.spinGateTimer = setInterval(() => {
      const b = machineBusyMs();
      const c = processCpuMs();
      const now = performance.now();
      this.setSpinGate(gate.update(b - busy, c - own, now - at));
      busy = b;
      own = c;
      at = now;
    }, SPIN_GATE_SAMPLE_MS);
    this.spinGateTimer.unref();
  }

  private setSpinGate(open: boolean): void {
    const c = this.counters;
    for (let w = 0; w < c.workers; w++) c.f64[c.w(w, W_SPIN_GATE)] = open ? 1 : 0;
  }

  private async pump(): Promise<void> {
    while (!this.pumpStop) {
      const now = wallNow();
      const { frames, blocked } = this.drain.drain(now);
      this.writer.wakeWaiters();
      if (blocked) await Promise.all([this.sink.drained(), this.lateSink.drained()]);
      if (now - this.lastIdleSweep >= IDLE_SWEEP_MS) this.sendIdleWatermarks(now);
      if (frames > 0) {
        await yieldToLoop();
        continue;
      }
      this.writer.wakeWaiters();
      await this.idle.waitFor(this.pumpReady, PUMP_SLEEP_MS);
    }
  }

  /**
   * Partitions that got no record for idleTimeout receive the source's
   * watermark (its largest event time minus the bound), so their windows do
   * not wait forever. Skipped while a source is paused on a full ring: that
   * silence is backpressure, not idleness.
   *
   * With a source that drives watermarks, no partition gets more than that
   * source's watermark (its largest event time is one fast input's, not the
   * source's progress): the sweep asks the source again instead (its idle
   * inputs stop holding back) and retries rings that were full.
   */
  private sendIdleWatermarks(now: number): void {
    this.lastIdleSweep = now;
    if (this.watermarkSource) {
      this.raiseWatermark(this.watermarkSource.watermark!());
      return;
    }
    const w = this.writer;
    if (w.waiting > 0 || this.state !== 'running' || w.maxEventTime === -Infinity) return;
    const wm = w.maxEventTime - this.options.outOfOrderness;
    for (let p = 0; p < this.rings.length; p++) {
      if (now - w.lastWrite[p]! >= this.options.idleTimeout && wm > this.sentWatermark[p]!) {
        if (w.writeWatermark(p, wm)) this.sentWatermark[p] = wm;
      }
    }
  }

  /**
   * Source-driven watermarks: every partition not sent `t` yet gets it, in
   * band behind the records written so far (which it accounts for). Only ever
   * raised; a full ring gets it from the next sweep — later, which is safe: a
   * record written meanwhile below `t` was late on its own input already.
   */
  private raiseWatermark(t: number): void {
    if (t > this.sourceWatermark) this.sourceWatermark = t;
    const wm = this.sourceWatermark;
    if (wm === -Infinity || this.state !== 'running') return;
    const sent = this.sentWatermark;
    for (let p = 0; p < sent.length; p++) {
      if (wm > sent[p]! && this.writer.writeWatermark(p, wm)) sent[p] = wm;
    }
  }
}

/**
 * With a transactional sink: say which complete checkpoints were passed over
 * because their transaction never committed (a crash between the manifest and
 * the commit), and warn when the sink committed more than the restored state
 * covers (its newest checkpoint is corrupt or missing, or an older one was
 * restored by path): those results will be committed a second time.
 */
function reportUncommitted(dir: string, sink: string, committed: number, restored: number): void {
  const newer = listCheckpoints(dir).filter((id) => id > committed).sort((a, b) => a - b);
  if (newer.length > 0) {
    process.stderr.write(`[sabre] checkpoint ${newer.join(', ')} not restored: its results never committed to ${sink} (transaction aborted)\n`);
  }
  if (committed > restored) {
    process.stderr.write(`[sabre] WARN ${sink} committed the results of checkpoint ${committed}, newer than the state restored `
      + `(${restored > 0 ? `checkpoint ${restored}` : 'none'}): results after that will be committed again\n`);
  }
}

/**
 * A worker's failure as the run's error: ERR_WORKER_CRASHED, whose cause is
 * a SabreError with the worker's own code when it failed with one (e.g.
 * ERR_RESULT_TOO_LARGE; workers/partition-worker.ts carries the code across).
 */
function workerError(w: number, e: unknown): SabreError {
  const message = (e as Error)?.message ?? String(e);
  const code = ((e as Error)?.cause as { code?: unknown } | undefined)?.code;
  const cause = typeof code === 'string' && code.startsWith('ERR_') ? new SabreError(code as ErrorCode, message, { cause: e }) : e;
  return new SabreError('ERR_WORKER_CRASHED', `worker ${w} failed: ${cause instanceof SabreError ? `${cause.code}: ` : ''}${message}`, { cause });
}

/** Ids of every checkpoint directory, complete or not, so new checkpoints never reuse one. */
function chkDirIds(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => /^chk-(\d+)$/.exec(f)).filter((m) => m !== null).map((m) => Number(m![1]));
}

/**
 * One entry per source name: the Kafka source counts its records on the
 * ingest port it writes through, which has its name, and says how it reads.
 */
function sourcesStats(sources: readonly Source[]): SourceStats[] {
  const byName = new Map<string, SourceStats>();
  for (const s of sources) {
    const x = sourceStats(s);
    const seen = byName.get(x.name);
    if (seen === undefined) {
      byName.set(x.name, x);
      continue;
    }
    seen.records += x.records;
    seen.pauses += x.pauses;
    seen.pausedSeconds += x.pausedSeconds;
    if (x.readsWith) seen.readsWith = x.readsWith;
    if (x.watermark !== undefined) seen.watermark = x.watermark;
  }
  return [...byName.values()];
}

function sourceStats(s: Source): SourceStats {
  const wm = s.watermark?.();
  return {
    name: s.name, records: s.records, pauses: s.pauses, pausedSeconds: s.pausedMs / 1000, ...(s.readsWith ? { readsWith: s.readsWith } : {}),
    ...(wm !== undefined ? { watermark: Number.isFinite(wm) ? wm : null } : {}),
  };
}

function safeJson(v: unknown): string {
  try {
    return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
