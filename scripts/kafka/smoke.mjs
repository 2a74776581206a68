// End-to-end check that kafkajs (the client Sabre uses) really works against the broker
// from up.sh, covering every client feature later work relies on: admin, keyed produce,
// consumer groups with eachBatch + committed offsets, idempotent producer, and
// transactions (consume -> produce -> sendOffsets -> commit, plus abort).
// Each step uses fresh topic/group names so the script can be re-run on kept data.
//
// Usage: KAFKA_BROKERS=127.0.0.1:9092 node scripts/kafka/smoke.mjs
//        SMOKE_LOG=debug ... to see every kafkajs request (useful for protocol errors)
import kafkajs from 'kafkajs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const level = logLevel[(process.env.SMOKE_LOG ?? 'warn').toUpperCase()] ?? logLevel.WARN;
const run = `smoke-${Date.now().toString(36)}`;
const N = 1000;
const PARTITIONS = 4;
const STEP_TIMEOUT_MS = 60_000;

const kafka = new Kafka({ clientId: 'sabre-smoke', brokers, logLevel: level, retry: { retries: 5 } });
const admin = kafka.admin();
const results = [];
// Explicit Java-compatible murmur2 partitioner (kafkajs 2.x default; also silences its warning).
const newProducer = (opts = {}) => kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...opts });

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await withTimeout(fn(), STEP_TIMEOUT_MS, name);
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${Date.now() - t0} ms)${detail ? ` - ${detail}` : ''}`);
  } catch (err) {
    results.push({ name, ok: false });
    // kafkajs protocol errors carry type/code; print them so a version mismatch is obvious.
    const extra = [err?.type && `type=${err.type}`, err?.code !== undefined && `code=${err.code}`]
      .filter(Boolean)
      .join(' ');
    console.log(`FAIL ${name} (${Date.now() - t0} ms) - ${err?.name}: ${err?.message} ${extra}`);
    if (err?.cause) console.log(`     cause: ${err.cause?.name}: ${err.cause?.message}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

async function createTopic(topic, numPartitions = PARTITIONS) {
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
}

// Reads `topic` from the beginning with a throwaway group until `expected` messages were
// seen, then lingers `settleMs` to catch extras (e.g. aborted records leaking through).
async function countMessages(topic, expected, { settleMs = 1500, readUncommitted = false } = {}) {
  const consumer = kafka.consumer({ groupId: `${run}-count-${topic}`, readUncommitted, maxWaitTimeInMs: 200 });
  let count = 0;
  let reached;
  const done = new Promise((resolve) => (reached = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      if (count >= expected) reached();
    },
  });
  await done;
  await new Promise((r) => setTimeout(r, settleMs));
  await consumer.disconnect();
  return count;
}

async function committedTotal(groupId, topic) {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

const inTopic = `${run}-in`;
const consumeGroup = `${run}-group`;

await step('admin connect + create topic (4 partitions)', async () => {
  await admin.connect();
  await createTopic(inTopic);
  const meta = await admin.fetchTopicMetadata({ topics: [inTopic] });
  assert(meta.topics[0].partitions.length === PARTITIONS, 'partition count');
  const cluster = await admin.describeCluster();
  return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`;
});

// Total records in inTopic. A plain (non-idempotent) producer is at-least-once: on a fresh
// broker the first Produce right after CreateTopics can get NOT_LEADER_OR_FOLLOWER for one
// partition, and kafkajs then re-sends the whole request, duplicating the partitions that
// had succeeded. So later steps count what is really in the topic, not N.
let inTotal = N;

await step(`produce ${N} keyed messages (plain producer, at-least-once)`, async () => {
  const producer = newProducer();
  await producer.connect();
  const messages = Array.from({ length: N }, (_, i) => ({ key: `k${i % 50}`, value: `v${i}` }));
  for (let i = 0; i < N; i += 250) {
    await producer.send({ topic: inTopic, acks: -1, messages: messages.slice(i, i + 250) });
  }
  await producer.disconnect();
  const offsets = await admin.fetchTopicOffsets(inTopic);
  inTotal = offsets.reduce((s, p) => s + Number(p.high), 0);
  assert(inTotal >= N, `high watermarks sum ${inTotal} < ${N}`);
  const dups = inTotal > N ? `, ${inTotal - N} duplicates from a kafkajs retry` : '';
  return `high watermarks ${offsets.map((p) => p.high).join('/')}${dups}`;
});

await step('consumer group eachBatch + commit offsets', async () => {
  const consumer = kafka.consumer({ groupId: consumeGroup, maxWaitTimeInMs: 200 });
  const keyPartition = new Map();
  const values = new Set();
  let count = 0;
  let reached;
  const done = new Promise((resolve) => (reached = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic: inTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const m of batch.messages) {
        const key = m.key.toString();
        // Same key must always land in the same partition (keyed partitioning works).
        assert((keyPartition.get(key) ?? batch.partition) === batch.partition, `key ${key} in 2 partitions`);
        keyPartition.set(key, batch.partition);
        values.add(m.value.toString());
        resolveOffset(m.offset);
        count++;
      }
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() },
      ]);
      await heartbeat();
      if (count >= inTotal) reached();
    },
  });
  await done;
  await consumer.disconnect();
  const committed = await committedTotal(consumeGroup, inTopic);
  assert(count === inTotal, `consumed ${count} != ${inTotal}`);
  assert(values.size === N, `distinct values ${values.size} != ${N}`);
  assert(committed === inTotal, `committed ${committed} != ${inTotal}`);
  return `consumed ${count} (${values.size} distinct), committed offsets sum ${committed}, ${keyPartition.size} keys`;
});

await step('idempotent producer', async () => {
  const topic = `${run}-idem`;
  await createTopic(topic);
  const producer = newProducer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < 4; i++) {
    await producer.send({
      topic,
      messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${j}`, value: `idem-${i}-${j}` })),
    });
  }
  await producer.disconnect();
  const seen = await countMessages(topic, 200);
  assert(seen === 200, `read ${seen} != 200`);
  return `read back ${seen}`;
});

await step('transactional consume->produce with sendOffsets + commit', async () => {
  const outTopic = `${run}-txn-out`;
  const txnGroup = `${run}-txn-group`;
  await createTopic(outTopic);
  const producer = newProducer({ transactionalId: `${run}-txn`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: txnGroup, maxWaitTimeInMs: 200 });
  let count = 0;
  let txns = 0;
  let reached;
  const done = new Promise((resolve) => (reached = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic: inTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      // One transaction per batch: outputs and the input offsets commit atomically.
      const txn = await producer.transaction();
      try {
        await txn.send({
          topic: outTopic,
          messages: batch.messages.map((m) => ({ key: m.key, value: `out-${m.value}` })),
        });
        await txn.sendOffsets({
          consumerGroupId: txnGroup,
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }],
        });
        await txn.commit();
        txns++;
      } catch (err) {
        await txn.abort().catch(() => {});
        throw err;
      }
      count += batch.messages.length;
      if (count >= inTotal) reached();
    },
  });
  await done;
  await consumer.disconnect();
  await producer.disconnect();
  const committed = await committedTotal(txnGroup, inTopic);
  assert(committed === inTotal, `txn-committed offsets ${committed} != ${inTotal}`);
  const seen = await countMessages(outTopic, inTotal); // read_committed (kafkajs default)
  assert(seen === inTotal, `read_committed saw ${seen} != ${inTotal}`);
  return `${txns} transactions, offsets committed via txn ${committed}, read_committed output ${seen}`;
});

await step('transaction abort is invisible to read_committed', async () => {
  const topic = `${run}-txn-abort`;
  await createTopic(topic);
  const producer = newProducer({ transactionalId: `${run}-txn-abort`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ key: `a${i}`, value: 'aborted' })) });
  await aborted.abort();
  const committed = await producer.transaction();
  await committed.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: 'committed' })) });
  await committed.commit();
  await producer.disconnect();
  const seen = await countMessages(topic, 10);
  assert(seen === 10, `read_committed saw ${seen} != 10`);
  return 'read_committed saw only the 10 committed records';
});

await admin.disconnect().catch(() => {});
const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
