// vitest globalSetup of the "kafka" project (vitest.config.ts): one real broker
// for every Kafka test file of the run. KAFKA_BROKERS set: that cluster is
// used as is. Otherwise scripts/kafka/up.sh starts the local KRaft broker (or
// reuses one already running, which is then left running), and it is stopped
// when the run ends. With CI=true a broker that cannot start fails the run;
// elsewhere the Kafka tests are skipped with the reason.
import type { TestProject } from 'vitest/node';
import { ensureBroker, type BrokerHandle } from './kafka-broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap list for the Kafka tests; '' when no broker could be started (see kafkaSkipReason). */
    kafkaBrokers: string;
    kafkaSkipReason: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now();
  let broker: BrokerHandle | undefined;
  try {
    broker = await ensureBroker();
  } catch (e) {
    if (process.env.CI === 'true' || process.env.CI === '1') throw e;
    const reason = `no Kafka broker: ${(e as Error).message.split('\n')[0]}`;
    process.stderr.write(`[kafka tests] skipped: ${reason}\n`);
    project.provide('kafkaBrokers', '');
    project.provide('kafkaSkipReason', reason);
    return async () => {};
  }
  process.stderr.write(`[kafka tests] broker ${broker.brokers} ${broker.startedByUs ? `started in ${((performance.now() - t0) / 1000).toFixed(1)}s` : '(already running, left as is)'}\n`);
  project.provide('kafkaBrokers', broker.brokers);
  project.provide('kafkaSkipReason', '');
  return async () => {
    await broker!.stop();
  };
}
