import type { ResolvedOptions } from '../../../options.js';
import { SabreError } from '../../../errors.js';
import type { LineSink } from '../../sinks/line-sink.js';
import type { SinkSettings } from '../../sinks/sink-settings.js';
import {
  NEW_TOPIC_PARTITIONS, createAdmin, createKafka, createProducer, ensureTopic, errorText, topicOf,
  type Message, type Producer,
} from '../kafka-client.js';
import { logRetry, sendUntilAcked } from './send-retry.js';
import { JobRecordEncoder } from './job-record-codec.js';
import { forEachLine, resultEncoder, resultMessage, type MessageKeyFields, type ResultEncoder, type ResultMessage } from './result-message.js';
import { SendBatcher } from './send-batcher.js';
import { SINK_DEFAULTS, type SinkLimits } from './sink-limits.js';
import { attachChangelog } from '../changelog/job-changelog.js';
import { TransactionalKafkaSink, transactionTimeoutFor } from './transactional-sink.js';

export { keyOf, jobMessageKey, type MessageKeyFields } from './result-message.js';
export { SINK_DEFAULTS, type SinkLimits } from './sink-limits.js';

/**
 * `--sink kafka:TOPIC`: one message per window firing, keyed by the result's
 * key, value = the NDJSON line (`--format json`) or a `sabre.fb.WindowResult`
 * (`--format flatbuffers`, src/codec/flat/result.fbs).
 *
 * One idempotent send in flight at a time, each carrying up to maxBatchBytes
 * of queued messages (after lingerMs when little is queued): per-key order is
 * kept and a retry can neither duplicate nor reorder. A send that fails with a
 * transient error (connection refused, broker restarting, timeouts) is retried
 * with backoff for as long as it takes; nothing is dropped. Any other error
 * fails the sink: the next write() throws ERR_SINK, as the file sink does.
 *
 * Backpressure: write() returns false once unacknowledged bytes exceed
 * maxInFlightBytes, and drained() resolves when they fall below half of it. The
 * engine's pump stops draining the out-rings meanwhile, workers then wait for
 * out-ring space, the input rings fill and the source pauses: a slow or absent
 * broker slows the job down instead of growing memory.
 *
 * With checkpoints the sink is transactional instead (TransactionalKafkaSink,
 * `--sink-transactional`): this class is the plain, at-least-once one.
 */
export class KafkaSink implements LineSink {
  readonly name: string;
  lines = 0;
  /** Messages acknowledged by Kafka, and send attempts that failed and were retried. */
  sent = 0;
  retries = 0;
  private readonly batcher: SendBatcher;
  /** Queued plus being sent: what Kafka has not acknowledged yet. */
  private inFlightBytes = 0;
  private error: unknown;
  private closing = false;
  private drainWaiters: (() => void)[] = [];
  /** Messages queued, and of those acknowledged (or given up on: the sink failed) — in order, one send at a time. */
  private queued = 0;
  private settled = 0;
  /** flush() calls waiting for `settled` to reach their `upTo`. */
  private flushWaiters: { upTo: number; resolve: () => void }[] = [];
  private readonly encoder: ResultEncoder | undefined;
  /** A job's outputs as flatbuffers Records: they need their event time (LineSink.timedLines). */
  readonly timedLines: boolean;

  constructor(readonly topic: string, private readonly producer: Producer, format: 'json' | 'flatbuffers',
    aggregates: readonly string[], private readonly limits: SinkLimits = SINK_DEFAULTS, private readonly keyFields?: MessageKeyFields) {
    this.name = `kafka:${topic}`;
    this.encoder = resultEncoder(format, aggregates, keyFields);
    this.timedLines = this.encoder instanceof JobRecordEncoder;
    this.batcher = new SendBatcher(limits, (batch, bytes) => this.sendBatch(batch, bytes), () => Boolean(this.error),
      () => this.closing || this.flushWaiters.length > 0);
  }

  /** Unacknowledged bytes right now (for tests and metrics). */
  get pendingBytes(): number {
    return this.inFlightBytes;
  }

  write(chunk: string, lines: number): boolean {
    if (this.error) throw this.sinkError();
    this.lines += lines;
    forEachLine(chunk, (line) => this.enqueue(resultMessage(line, this.encoder, this.keyFields)));
    this.batcher.kick();
    return this.inFlightBytes < this.limits.maxInFlightBytes;
  }

  drained(): Promise<void> {
    if (this.error || this.inFlightBytes < this.limits.maxInFlightBytes) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Resolves once Kafka acknowledged every message written before the call
   * (later writes do not hold it up), so a checkpoint's manifest is written
   * only after its results are in the topic; rejects with ERR_SINK if the
   * sink failed. Queued messages skip the linger meanwhile.
   */
  flush(): Promise<void> {
    if (this.error) return Promise.reject(this.sinkError());
    const upTo = this.queued;
    if (this.settled >= upTo) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.flushWaiters.push({ upTo, resolve });
      this.batcher.hurryNow();
    }).then(() => { if (this.error) throw this.sinkError(); });
  }

  async close(): Promise<void> {
    this.closing = true;
    try {
      await this.batcher.idle();
      if (this.error) throw this.sinkError();
    } finally {
      await this.producer.disconnect().catch(() => {});
    }
  }

  private enqueue(m: ResultMessage): void {
    this.batcher.push(m);
    this.inFlightBytes += m.bytes;
    this.queued++;
  }

  private async sendBatch(batch: ResultMessage[], bytes: number): Promise<void> {
    await this.sendWithRetry(batch);
    this.inFlightBytes -= bytes;
    this.settled += batch.length;
    if (this.inFlightBytes <= this.limits.maxInFlightBytes / 2 || this.error) this.wakeDrained();
    this.wakeFlushed();
  }

  private wakeFlushed(): void {
    const settled = this.settled;
    // A failed sink sends nothing more: every flush settles (and rejects).
    this.flushWaiters = this.flushWaiters.filter((w) => {
      if (w.upTo > settled && !this.error) return true;
      w.resolve();
      return false;
    });
  }

  private async sendWithRetry(batch: ResultMessage[]): Promise<void> {
    const messages: Message[] = batch.map((p) => ({ key: p.key, value: p.value }));
    try {
      await this.send(messages);
      this.sent += messages.length;
    } catch (e) {
      this.error = e;
      process.stderr.write(`[sabre kafka] ERROR ${this.name}: send failed for good: ${errorText(e)}\n`);
    }
  }

  /** The one place results leave (see the class comment on transactions). */
  private send(messages: Message[]): Promise<void> {
    return sendUntilAcked(this.producer, this.topic, messages, (attempt, e) => {
      this.retries++;
      logRetry(this.name, attempt, e, messages.length);
    }, { backoffMs: this.limits.retryBackoffMs, maxBackoffMs: this.limits.maxRetryBackoffMs });
  }

  private wakeDrained(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  private sinkError(): SabreError {
    return new SabreError('ERR_SINK', `${this.name}: ${errorText(this.error)}`, { cause: this.error });
  }
}

/**
 * Plugin entry (src/io/plugins.ts): `--sink kafka:TOPIC --brokers … --format json|flatbuffers`;
 * transactional when options.sinkTransactional (resolved in src/options.ts).
 * `settings.keyFields`: a job's outputs are keyed by the job's key fields (result-message.ts jobMessageKey).
 */
export async function createSink(spec: string, options: ResolvedOptions, settings: SinkSettings = {}): Promise<KafkaSink | TransactionalKafkaSink> {
  const topic = topicOf(spec);
  if (!topic) throw new SabreError('ERR_INVALID_OPTION', `--sink "${spec}": name a topic, e.g. kafka:windows`);
  const kafka = createKafka(options.brokers);
  const tx = options.sinkTransactional
    ? { transactionalId: options.transactionalId!, transactionTimeout: transactionTimeoutFor(options.checkpointInterval, options.changelog !== undefined) }
    : undefined;
  const producer = createProducer(kafka, tx);
  const admin = createAdmin(kafka);
  try {
    await admin.connect();
    await ensureTopic(admin, topic, NEW_TOPIC_PARTITIONS);
    // A job's named Kafka sinks written in this sink's transactions (TransactionalKafkaSink.lane).
    if (tx) for (const t of settings.laneTopics ?? []) await ensureTopic(admin, t, NEW_TOPIC_PARTITIONS);
    await producer.connect();
    if (tx) {
      const source = options.source.startsWith('kafka:') ? { name: options.source, group: options.group } : undefined;
      const sink = await TransactionalKafkaSink.open({
        topic, markerGroup: tx.transactionalId, source, format: options.format, aggregates: options.aggregates, limits: SINK_DEFAULTS,
        keyFields: settings.keyFields,
      }, producer, admin);
      if (options.changelog !== undefined) sink.changelog = await attachChangelog(sink, options, admin);
      return sink;
    }
  } catch (e) {
    await producer.disconnect().catch(() => {});
    if (e instanceof SabreError) throw e;
    throw new SabreError('ERR_SINK', `--sink ${spec}: cannot reach Kafka at ${options.brokers}: ${errorText(e)}`, { cause: e });
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return new KafkaSink(topic, producer, options.format, options.aggregates, SINK_DEFAULTS, settings.keyFields);
}
