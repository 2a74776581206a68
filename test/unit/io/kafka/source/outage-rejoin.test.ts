// kafkajs does not restart a consumer that crashed with KafkaJSGroupCoordinatorNotFound (it calls
// that non-retriable), although it only means no broker answered, e.g. one restarting: the Kafka
// source runs its group again. Any other crash kafkajs does not restart still fails the source.
// (test/kafka/kafka-outage.test.ts hit the first case at random: the source never read again.)
import { describe, expect, it } from 'vitest';
import { KafkaSource } from '../../../../../dist/src/io/kafka/source/kafka-source.js';
import { REJOIN_AFTER_OUTAGE_MS } from '../../../../../dist/src/io/kafka/source/outage-rejoin.js';
import type { IngestPort } from '../../../../../dist/src/io/sources/ingest-port.js';

/** A consumer with just what KafkaSource calls; `runs` counts consumer.run() calls. */
function fakeConsumer() {
  const handlers = new Map<string, (e: unknown) => void>();
  const consumer = {
    runs: 0,
    events: { COMMIT_OFFSETS: 'commit', GROUP_JOIN: 'join', REBALANCING: 'rebalancing', CRASH: 'crash' },
    on: (event: string, fn: (e: unknown) => void) => { handlers.set(event, fn); },
    run: async () => { consumer.runs++; },
    commitOffsets: async () => {},
    disconnect: async () => {},
    crash: (name: string, restart = false, message = name === 'KafkaJSGroupCoordinatorNotFound' ? 'Failed to find group coordinator' : 'boom') => {
      const error = Object.assign(new Error(message), { name });
      handlers.get('crash')!({ payload: { error, restart, groupId: 'g' } });
    },
  };
  return consumer;
}

function sourceOn(consumer: ReturnType<typeof fakeConsumer>): KafkaSource {
  const port = { needsValue: true } as unknown as IngestPort;
  return new KafkaSource('t', 'g', consumer as never, port, 'json', { time: 'ts', value: 'value' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Kafka source after a crash kafkajs does not restart', () => {
  it('group coordinator not found (broker unreachable): the group runs again, the source goes on', async () => {
    const consumer = fakeConsumer();
    const source = sourceOn(consumer);
    let ended: unknown = 'running';
    const run = source.run().then(() => { ended = 'ended'; }, (e: unknown) => { ended = e; });
    await sleep(10);
    expect(consumer.runs).toBe(1);
    consumer.crash('KafkaJSGroupCoordinatorNotFound');
    await sleep(REJOIN_AFTER_OUTAGE_MS + 200);
    expect(consumer.runs).toBe(2);
    expect(ended).toBe('running');
    // As the consumer's runner reports it (seen in CI): a KafkaJSNonRetriableError made from it, only its message kept.
    consumer.crash('KafkaJSNonRetriableError', false, 'Failed to find group coordinator');
    await sleep(REJOIN_AFTER_OUTAGE_MS + 200);
    expect(consumer.runs).toBe(3);
    expect(ended).toBe('running');
    source.stop();
    await run;
    expect(ended).toBe('ended');
  });

  it('any other crash without a restart fails the source with ERR_SOURCE; a crash kafkajs restarts is left to it', async () => {
    const consumer = fakeConsumer();
    const source = sourceOn(consumer);
    const run = source.run();
    await sleep(10);
    consumer.crash('KafkaJSNumberOfRetriesExceeded', true);
    await sleep(50);
    expect(consumer.runs).toBe(1);
    consumer.crash('KafkaJSProtocolError');
    await expect(run).rejects.toMatchObject({ code: 'ERR_SOURCE' });
    expect(consumer.runs).toBe(1);
  });
});
