// Which lookup tables of a job the main thread keeps in files: the Kafka
// ones (each topic once), not file tables (workers read those themselves).
import { describe, expect, it } from 'vitest';
import { checkPlan } from '../../../src/job/plan.js';
import { PLAN } from '../../../src/job/job.js';
import { job, stdin, kafkaTable, fileTable, tumbling, count } from '../../../src/job/index.js';
import { kafkaTables, openLookupTables } from '../../../src/engine/lookup-tables.js';

const fields = { card: 'string', merchant: 'string', t: 'number' } as const;

describe('kafkaTables', () => {
  it('lists each Kafka table topic with its key field, before and after the keyed stage; file tables are left to the workers', () => {
    const merchants = kafkaTable('merchants', { key: 'id' });
    const s = job({ source: stdin({ fields, time: 't' }) })
      .lookup(merchants, { on: 'merchant', as: 'm' })
      .lookup(fileTable('/data/cards.ndjson', { key: 'card' }), { on: 'card', as: 'c' })
      .lookup(merchants, { on: 'merchant', as: 'm2' })
      .keyBy((r) => r.card)
      .window(tumbling('1s'))
      .aggregate({ n: count() })
      .lookup(kafkaTable('limits', { key: 'key' }), { on: 'key', as: 'limit' });
    const plan = checkPlan(s[PLAN], 'j.mjs');
    expect([...kafkaTables(plan)]).toEqual([['merchants', 'id'], ['limits', 'key']]);
  });

  it('a job without Kafka tables opens nothing (no broker is contacted)', async () => {
    const plan = checkPlan(job({ source: stdin({ fields, time: 't' }) }).filter(() => true)[PLAN], 'j.mjs');
    expect(await openLookupTables(plan, '127.0.0.1:1')).toBeUndefined();
  });
});
