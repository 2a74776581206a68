// The Kafka lookup tables of a job (kafkaTable in src/job/lookup.ts): each
// topic read by the main thread into a file (src/io/kafka/table-feed.ts),
// whose path the workers get in WorkerTask.job.tables (topic → file). File
// tables (fileTable) need nothing here: workers read them themselves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
