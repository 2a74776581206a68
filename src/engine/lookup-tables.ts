// The Kafka lookup tables of a job (kafkaTable in src/job/lookup.ts): each
// topic read by the main thread into a file (src/io/kafka/table-feed.ts),
// whose path the workers get in WorkerTask.job.tables (topic → file). File
// tables (fileTable) are only checked here: workers read them themselves.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SabreError } from '../errors.js';
import type { JobPlan } from '../job/plan.js';
import type { KafkaTableFeed } from '../io/kafka/table-feed.js';

export interface LookupTables {
  /** Topic → the file its table is kept in. */
  readonly files: Record<string, string>;
  stop(): Promise<void>;
}

/** The Kafka topics `plan` looks up, each with the field keying its rows. */
export function kafkaTables(plan: JobPlan): Map<string, string> {
  const topics = new Map<string, string>();
  for (const st of plan.branches.flatMap((b) => [...b.before, ...b.after])) {
    if (st.op === 'lookup' && st.table.source.kind === 'kafka') topics.set(st.table.source.topic, st.table.key);
  }
  return topics;
}

/** Read every Kafka table of `plan` into its file; undefined when the job has none. Resolves once each holds its topic's messages. */
export async function openLookupTables(plan: JobPlan, brokers: string): Promise<LookupTables | undefined> {
  checkTableFiles(plan);
  const topics = kafkaTables(plan);
  if (topics.size === 0) return undefined;
  // Loaded on demand: it brings kafkajs.
  const feedModule = '../io/kafka/table-feed.js';
  const { KafkaTableFeed: Feed } = (await import(feedModule)) as { KafkaTableFeed: typeof KafkaTableFeed };
  const dir = mkdtempSync(join(tmpdir(), 'sabre-tables-'));
  const feeds: KafkaTableFeed[] = [];
  const files: Record<string, string> = {};
  const stop = async (): Promise<void> => {
    await Promise.all(feeds.map((f) => f.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [topic, keyField] of topics) {
      const path = join(dir, `${encodeURIComponent(topic)}.ndjson`);
      const feed = new Feed({ topic, keyField, brokers, path });
      feeds.push(feed);
      await feed.start();
      files[topic] = path;
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { files, stop };
}

/**
 * File tables must be there before the run starts (the workers load them
 * when they open): a missing one is ERR_INVALID_JOB naming the job and the
 * path, resolved as the workers resolve it (against the job file's directory).
 */
export function checkTableFiles(plan: JobPlan): void {
  for (const b of plan.branches) {
    for (const st of [...b.before, ...b.after]) {
      if (st.op !== 'lookup' || st.table.source.kind !== 'file') continue;
      const path = resolve(dirname(plan.module), st.table.source.path);
      if (!existsSync(path)) {
        throw new SabreError('ERR_INVALID_JOB', `${st.where}: lookup table ${path} does not exist (a relative table path is read from the job file's directory)`);
      }
    }
  }
}
