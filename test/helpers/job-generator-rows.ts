// The rows the job generator (generator('card-txns'), generator('market'))
// writes into the rings, read back: one ring, so in draw order, decoded by the
// job's row layout. What `sabre run --job` hands its workers.
import { jobGeneratorSource, type JobRecordOptions } from '../../dist/src/io/generator/job-records.js';
import { job, generator, tumbling, count, type JobGeneratorKind } from '../../dist/src/job/index.js';
import { planOf, type JobPlan } from '../../dist/src/job/plan.js';
import { rowLayout } from '../../dist/src/codec/row-layout.js';
import { decodeRow, rig, runDraining } from './ring-frames.js';

export const KEY_FIELD = { 'card-txns': 'card', market: 'symbol' } as const;

/** A plan reading generator(kind) keyed by its key field (the fields travel whatever the windows). */
export function generatorPlan(kind: JobGeneratorKind): JobPlan {
  const stream = (job({ source: generator(kind) }) as { keyBy(k: string): { window(w: unknown): { aggregate(a: unknown): unknown } } })
    .keyBy(KEY_FIELD[kind]).window(tumbling('1s')).aggregate({ n: count() });
  return planOf({ default: stream }, `${kind}.job.ts`);
}

export async function jobGeneratorRows(o: JobRecordOptions, plan: JobPlan = generatorPlan(o.kind)): Promise<Record<string, unknown>[]> {
  const r = rig(1, { capacity: 1 << 14 });
  const src = jobGeneratorSource(o, plan);
  const frames = await runDraining(r, () => src.run({ writer: r.writer, deadLetter: () => { throw new Error('nothing is dead-lettered'); } } as never));
  const layout = rowLayout(plan.fields);
  return frames.map((f) => decodeRow(f.body, layout).values);
}
