// Exit 0 once a kafkajs admin client can talk to the broker and list topics; a bare open
// TCP port is not enough (the KRaft broker accepts connections before it has caught up
// with the metadata log and unfenced itself). Used by up.sh in a bounded retry loop.
// Usage: node scripts/kafka/ready.mjs 127.0.0.1:9092
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const broker = process.argv[2] ?? '127.0.0.1:9092';
const kafka = new Kafka({
  clientId: 'sabre-kafka-ready',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  requestTimeout: 5000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  await admin.listTopics();
  // describeCluster proves the broker is in the metadata it serves (i.e. registered/unfenced).
  const { brokers } = await admin.describeCluster();
  if (brokers.length === 0) throw new Error('no brokers in metadata yet');
  process.exitCode = 0;
} catch (err) {
  if (process.env.KAFKA_READY_VERBOSE) console.error(`not ready: ${err?.name}: ${err?.message}`);
  process.exitCode = 1;
} finally {
  await admin.disconnect().catch(() => {});
}
