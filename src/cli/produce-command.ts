import { setTimeout as delay } from 'node:timers/promises';
import { resolveOptions, type RawOptions } from '../options.js';
import { isBuiltinGenerator } from '../options/generator-keys.js';
import { SabreError } from '../errors.js';
import {
  NEW_TOPIC_PARTITIONS, createAdmin, createKafka, createProducer, ensureTopic, errorText, type Message,
} from '../io/kafka/kafka-client.js';
import { TradeMessages } from '../io/generator/trade-messages.js';
import { JobRecordMessages } from '../io/generator/job-record-messages.js';
import type { JobGeneratorKind } from '../job/sources.js';
import { logRetry, sendUntilAcked } from '../io/kafka/sink/send-retry.js';
import { PRODUCE_SYNOPSIS } from './usage.js';

/**
 * Messages per send. kafkajs groups a send's messages per partition by copying
 * arrays (quadratic in messages per partition), so bigger sends get slower:
 * measured here, 2000 per send beat 1000, 4000 and 10000.
 */
const BATCH = 2000;
/** Pacing tick when --rate is set: each tick sends what is due. */
const TICK_MS = 10;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const perSec = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

/**
 * `sabre produce TOPIC`: the generator's records (the `sabre generate`
 * sequence; with --rate R, event time is the intended send time) written to
 * TOPIC keyed by record key (a job kind's card or symbol), JSON or flatbuffers (--format), at --rate
 * records/s (0 = as fast as possible), --count records (0 = until Ctrl-C),
 * through an idempotent producer. Creates the topic with 8 partitions if
 * missing. Progress on stderr; a summary at the end. Returns the exit code.
 */
export async function produceCommand(raw: RawOptions, topic: string | undefined): Promise<number> {
  if (!topic) {
    process.stderr.write(`sabre produce: name a topic\n${PRODUCE_SYNOPSIS}\n`);
    return 2;
  }
  const o = resolveOptions(raw);
  if (o.keyBytes > 0) {
    throw new SabreError('ERR_INVALID_OPTION', '--key-bytes: sabre produce writes unpadded keys; padding is for --source generator and sabre generate');
  }
  if (!isBuiltinGenerator(o.generator) && o.format !== 'json') {
    // A job reads its own fields from JSON values; the flatbuffers Record has only key, event time, value and attributes.
    throw new SabreError('ERR_INVALID_OPTION', `--format ${o.format}: the ${o.generator} records of job modules are written as JSON `
      + '(the fields the job reads); give --format json or leave it out');
  }
  const kafka = createKafka(o.brokers, 'sabre-produce');
  const admin = createAdmin(kafka);
  const producer = createProducer(kafka);
  let created = false;
  try {
    await admin.connect();
    created = await ensureTopic(admin, topic, NEW_TOPIC_PARTITIONS);
    await producer.connect();
  } catch (e) {
    await producer.disconnect().catch(() => {});
    throw new SabreError('ERR_SINK', `produce ${topic}: cannot reach Kafka at ${o.brokers}: ${errorText(e)}`, { cause: e });
  } finally {
    await admin.disconnect().catch(() => {});
  }

  const startWallMs = Date.now();
  const drawn = { seed: o.seed, keys: o.keys, disorder: o.disorder, eventsPerMs: o.eventsPerMs, rate: o.rate, startWallMs };
  // Both give record i's value from next(i) and leave its message key in `key`.
  const gen = isBuiltinGenerator(o.generator)
    ? new TradeMessages({ ...drawn, kind: o.generator, format: o.format })
    : new JobRecordMessages({ ...drawn, kind: o.generator as JobGeneratorKind });
  const total = o.count > 0 ? o.count : Infinity;
  const progress = new Progress(topic, total, o.progress);
  let stopped = false;
  const onSignal = (): void => {
    if (stopped) process.exit(130);
    stopped = true;
    process.stderr.write('\n[sabre produce] interrupted: flushing what was sent (Ctrl-C again exits at once)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const t0 = performance.now();
  let made = 0;
  let acked = 0;
  let retries = 0;
  let inFlight: Promise<void> | undefined;
  try {
    while (made < total && !stopped) {
      // With --rate, send what is due by now; otherwise a full batch.
      const due = o.rate > 0 ? Math.min(total, Math.floor(((performance.now() - t0) * o.rate) / 1000)) : total;
      const upTo = Math.min(due, made + BATCH);
      if (upTo <= made) {
        await delay(TICK_MS);
        continue;
      }
      const messages: Message[] = [];
      for (; made < upTo; made++) {
        const value = gen.next(made);
        messages.push({ key: gen.key, value });
      }
      // One send in flight: the next batch is encoded while this one travels.
      await inFlight;
      inFlight = sendUntilAcked(producer, topic, messages, (attempt, e) => {
        retries++;
        logRetry(`produce ${topic}`, attempt, e, messages.length);
      }).then(() => {
        acked += messages.length;
        progress.update(acked, performance.now() - t0);
      });
    }
    await inFlight;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.done();
    await producer.disconnect().catch(() => {});
  }
  const secs = (performance.now() - t0) / 1000;
  process.stderr.write(`[sabre produce] ${fmt(acked)} ${o.format} records to ${topic}${created ? ` (created, ${NEW_TOPIC_PARTITIONS} partitions)` : ''} `
    + `in ${secs.toFixed(2)}s (${perSec(acked / Math.max(secs, 1e-9))}/s), keys ${fmt(o.keys)}, seed ${o.seed}`
    + `${retries > 0 ? `, ${retries} retried sends` : ''}${stopped ? ', interrupted' : ''}\n`);
  return stopped ? 130 : 0;
}

/** A redrawn bar on a TTY; a plain line every `everyMs` otherwise. */
class Progress {
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly topic: string, private readonly total: number, private readonly everyMs: number) {}

  update(n: number, elapsedMs: number): void {
    if (this.everyMs <= 0) return;
    const gap = this.tty ? 100 : this.everyMs;
    if (elapsedMs - this.last < gap && n < this.total) return;
    this.last = elapsedMs;
    const rate = `${perSec((n * 1000) / Math.max(elapsedMs, 1))}/s`;
    let text: string;
    if (Number.isFinite(this.total)) {
      const frac = Math.min(1, n / this.total);
      const width = 30;
      const filled = Math.round(frac * width);
      text = `[sabre produce] ${this.topic} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% `
        + `${fmt(n)}/${fmt(this.total)} ${rate}`;
    } else {
      text = `[sabre produce] ${this.topic} ${fmt(n)} records ${rate}`;
    }
    process.stderr.write(this.tty ? `\r\x1b[2K${text}` : `${text}\n`);
  }

  done(): void {
    if (this.tty && this.everyMs > 0) process.stderr.write('\n');
  }
}
