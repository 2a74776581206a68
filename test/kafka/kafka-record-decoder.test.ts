import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { createKafka, createProducer } from '../../dist/src/io/kafka/kafka-client.js';
import { brokers, createTopic, describeKafka, unique } from '../helpers/kafka-env.js';

// Sabre's record batch decoder against kafkajs's own, on what a real broker
// serves: the same topic is read by two processes, one with each decoder
// (SABRE_KAFKA_DECODER), and every message must read the same — offset,
// timestamp, key, value, headers — with aborted transactions and control
// records filtered alike. The topic holds what the engine's own tests do
// not: gzip batches, headers (one repeated), keyless messages, tombstones,
// a committed and an aborted transaction.

const run = promisify(execFile);
const GZIP = 1; // kafkajs CompressionTypes.GZIP

interface Dump {
  decoder: string;
  messages: { partition: number; offset: string; key: string | null; value: string | null; headers: Record<string, unknown> }[];
}

async function dump(topic: string, expected: number, decoder: 'sabre' | 'kafkajs'): Promise<Dump> {
  const { stdout } = await run(process.execPath, ['test/helpers/dump-topic.mjs', brokers, topic, String(expected)], {
    env: { ...process.env, SABRE_KAFKA_DECODER: decoder }, maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Dump;
}

describeKafka('record batch decoder on a real broker', () => {
  it('reads gzip, headers, keyless, tombstones and transactions exactly like kafkajs', async () => {
    const topic = unique('decoder');
    const kafka = createKafka(brokers, 'decoder-test');
    await createTopic(kafka, topic, 2);

    const producer = createProducer(kafka);
    await producer.connect();
    const plain = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, value: JSON.stringify({ key: `k${i % 7}`, ts: 1_700_000_000_000 + i, value: i }), partition: i % 2 }));
    await producer.send({ topic, messages: plain.slice(0, 150) });
    await producer.send({ topic, compression: GZIP, messages: plain.slice(150) });
    await producer.send({
      topic, messages: [
        { key: 'h', value: 'with headers', partition: 0, headers: { trace: 'abc', seen: ['one', 'two'], empty: '' } },
        { key: null, value: 'no key', partition: 1 },
        { key: 'gone', value: null, partition: 0 },
        { key: '', value: 'empty key', partition: 1 },
      ],
    });
    await producer.disconnect();

    const txProducer = createProducer(kafka, { transactionalId: unique('decoder-tx'), transactionTimeout: 60_000 });
    await txProducer.connect();
    const committed = await txProducer.transaction();
    await committed.send({ topic, messages: [0, 1, 2].map((i) => ({ key: 'tx', value: `committed ${i}`, partition: i % 2 })) });
    await committed.commit();
    const aborted = await txProducer.transaction();
    await aborted.send({ topic, messages: [0, 1, 2].map((i) => ({ key: 'tx', value: `aborted ${i}`, partition: i % 2 })) });
    await aborted.abort();
    const after = await txProducer.transaction();
    await after.send({ topic, compression: GZIP, messages: [{ key: 'after', value: 'after the abort', partition: 0 }] });
    await after.commit();
    await txProducer.disconnect();

    const expected = 300 + 4 + 3 + 1;
    const [ours, theirs] = await Promise.all([dump(topic, expected, 'sabre'), dump(topic, expected, 'kafkajs')]);
    expect(ours.decoder).toBe('sabre');
    expect(theirs.decoder).toBe('kafkajs');
    expect(theirs.messages.length).toBe(expected);
    expect(ours.messages).toEqual(theirs.messages);

    // The fixture is what it claims: headers, keyless, tombstone, empty key, aborted records filtered out.
    const text = (h: string | null): string | null => (h === null ? null : Buffer.from(h.slice(4), 'hex').toString('utf8'));
    const values = ours.messages.map((m) => text(m.value));
    expect(values.filter((v) => v?.startsWith('aborted'))).toEqual([]);
    expect(values.filter((v) => v?.startsWith('committed')).sort()).toEqual(['committed 0', 'committed 1', 'committed 2']);
    expect(values).toContain('after the abort');
    const withHeaders = ours.messages.find((m) => text(m.value) === 'with headers')!;
    expect(Object.keys(withHeaders.headers).sort()).toEqual(['empty', 'seen', 'trace']);
    expect((withHeaders.headers.seen as string[]).map(text)).toEqual(['one', 'two']);
    expect(ours.messages.find((m) => text(m.value) === 'no key')!.key).toBeNull();
    expect(ours.messages.find((m) => text(m.key) === 'gone')!.value).toBeNull();
    expect(text(ours.messages.find((m) => text(m.value) === 'empty key')!.key)).toBe('');
  }, 90_000);
});
