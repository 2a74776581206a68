// A Kafka lookup table (kafkaTable in src/job/lookup.ts) read once, by the
// main thread, into a file every worker loads (and reloads when it changes):
// the topic from its beginning, each message's value (JSON) the row of its
// key, a null value deleting it. start() resolves once the messages that
// were in the topic when it started are in the file, so workers begin with
// the whole table; later messages rewrite the file at most once a second.
//
// The end of each partition is fixed when start() begins: its last stable
// offset, as the consumer reads read_committed (rows of aborted transactions
// never reach the file, nor do those of open ones before their commit). A
// transactional topic ends with commit markers, so how far the load got is
// taken from the fetched batches' offsets (read-to-end.ts).
//
// The consumer is in a group of its own (a fresh id each run, read-to-end.ts):
// every run reads the whole topic, and commits nothing; stop() deletes the
// group.
import { SabreError } from '../../errors.js';
import { TableFile } from '../tables/table-file.js';
import { createAdmin, createConsumer, createKafka, errorText, retryTransient, type Consumer } from './kafka-client.js';
import { OFFSET_ATTEMPTS, readFromStart, ReadToEnd, stopAndForget, throwawayGroupId } from './read-to-end.js';

/** How long start() waits for the table's existing messages. */
const LOAD_TIMEOUT_MS = 60_000;
/** Least time between rewrites of the file. */
const REWRITE_INTERVAL_MS = 1000;

export interface TableFeedOptions {
  topic: string;
  /** The row field that keys the table (for a message without a Kafka key). */
  keyField: string;
  brokers: string;
  /** The file the workers load. */
  path: string;
}

export class KafkaTableFeed {
  readonly file: TableFile;
  /** Messages whose value is not a JSON object (skipped). */
  badValues = 0;
  private reading: { kafka: ReturnType<typeof createKafka>; consumer: Consumer; groupId: string } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: TableFeedOptions) {
    this.file = new TableFile(o.path, REWRITE_INTERVAL_MS);
  }

  async start(): Promise<void> {
    const { topic, brokers } = this.o;
    const kafka = createKafka(brokers);
    const admin = createAdmin(kafka);
    // Where each partition ends now: the table is loaded once the consumer has read that far.
    let ends: ReadToEnd;
    try {
      await admin.connect();
      // Asked first: kafkajs retries the offsets of a missing topic for half a minute, which would be retried again here.
      if (!(await admin.listTopics()).includes(topic)) {
        throw new SabreError('ERR_SOURCE', `lookup table kafka:${topic}: the topic does not exist at ${brokers}: create it (compacted) first`);
      }
      ends = new ReadToEnd(await retryTransient(() => admin.fetchTopicOffsets(topic), OFFSET_ATTEMPTS));
    } catch (e) {
      if (e instanceof SabreError) throw e;
      throw new SabreError('ERR_SOURCE', `lookup table kafka:${topic}: cannot read the topic at ${brokers}: ${errorText(e)}`, { cause: e });
    } finally {
      await admin.disconnect().catch(() => {});
    }
    const groupId = throwawayGroupId(`sabre-table-${topic}`);
    const consumer = createConsumer(kafka, { groupId });
    this.reading = { kafka, consumer, groupId };
    try {
      await readFromStart(consumer, topic, (batch) => {
        for (const m of batch.messages) this.apply(m.key, m.value);
        this.file.writeIfDue(Date.now());
      }, (partition, lastOffset) => ends.batchEnded(partition, lastOffset));
    } catch (e) {
      await this.stop();
      throw new SabreError('ERR_SOURCE', `lookup table kafka:${topic}: cannot consume it at ${brokers}: ${errorText(e)}`, { cause: e });
    }
    let timeout: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, rej) => {
      timeout = setTimeout(() => rej(new SabreError('ERR_SOURCE',
        `lookup table kafka:${topic}: its messages were not all read within ${LOAD_TIMEOUT_MS / 1000} s (broker ${brokers})`)), LOAD_TIMEOUT_MS);
    });
    try {
      await Promise.race([ends.done, late]);
    } catch (e) {
      await this.stop();
      throw e;
    } finally {
      clearTimeout(timeout);
    }
    this.file.writeNow(Date.now());
    // Changes after the load: written within a second even when no further batch comes.
    this.timer = setInterval(() => this.file.writeIfDue(Date.now()), REWRITE_INTERVAL_MS / 4);
    this.timer.unref();
  }

  private apply(key: Buffer | null, value: Buffer | null): void {
    if (value === null) {
      if (key !== null) this.file.set(key.toString('utf8'), null);
      return;
    }
    const text = value.toString('utf8').trim();
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      row = undefined;
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      this.badValues++;
      return;
    }
    const k = key !== null ? key.toString('utf8') : String((row as Record<string, unknown>)[this.o.keyField]);
    // One line per row: JSON.stringify drops any line breaks the message had.
    this.file.set(k, JSON.stringify(row));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const r = this.reading;
    this.reading = undefined;
    if (r) await stopAndForget(r.kafka, r.consumer, r.groupId);
  }
}
