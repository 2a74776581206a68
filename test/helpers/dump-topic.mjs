// Child process for test/kafka/kafka-record-decoder.test.ts: read a topic from the
// beginning with Sabre's Kafka client (read_committed, eachBatch), in this
// process's record batch decoder (SABRE_KAFKA_DECODER picks it), and print
// every message as plain data, as kafkajs users see it, on one JSON line.
// Usage: node dump-topic.mjs BROKERS TOPIC EXPECTED_COUNT
import { createConsumer, createKafka, kafkaDecoder } from '../../dist/src/io/kafka/kafka-client.js';

const [brokers, topic, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
const hex = (b) => (b === null || b === undefined ? null : Array.isArray(b) ? b.map(hex) : `hex:${Buffer.from(b).toString('hex')}`);
const consumer = createConsumer(createKafka(brokers, 'dump-topic'), { groupId: `dump-${process.pid}-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const messages = [];
let reached;
const enough = new Promise((r) => { reached = r; });
await consumer.run({
  eachBatch: async ({ batch }) => {
    for (const m of batch.messages) {
      messages.push({
        partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: hex(m.key), value: hex(m.value),
        headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, hex(v)])),
        attributes: m.attributes, isControlRecord: m.isControlRecord,
      });
    }
    if (messages.length >= expected) reached();
  },
});
const timeout = setTimeout(() => reached(), 30_000);
await enough;
clearTimeout(timeout);
await new Promise((r) => setTimeout(r, 1000)); // anything beyond the expected count would show up here
await consumer.disconnect();
messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
process.stdout.write(JSON.stringify({ decoder: kafkaDecoder, messages }) + '\n');
process.exit(0);
