// openSource with a job (--job): the generator draws the job's kind, a file
// is read through the job's RowProjector, and a generator run of a job whose
// source is not a generator is refused before anything starts.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSource } from '../../../dist/src/engine/source-factory.js';
import { resolveOptions } from '../../../dist/src/options.js';
import { job, generator, file, tumbling, count } from '../../../dist/src/job/index.js';
import { planOf, type LoadedJob } from '../../../dist/src/job/plan.js';
import { rowLayout } from '../../../dist/src/codec/row-layout.js';
import { tmpDir } from '../../helpers/engine-run.js';
import { decodeRow, drainAll, rig } from '../../helpers/ring-frames.js';

function loaded(source: unknown, key: string): LoadedJob {
  const stream = (job({ source } as never) as { keyBy(k: string): { window(w: unknown): { aggregate(a: unknown): unknown } } })
    .keyBy(key).window(tumbling('1s')).aggregate({ n: count() });
  return { plan: planOf({ default: stream }, 'test.job.ts'), url: 'file:///test.job.ts' };
}

const noIngest = (): never => { throw new Error('no ingest port expected'); };

async function runInto(src: { run(ctx: unknown): Promise<void> }, partitions = 2) {
  const r = rig(partitions, { capacity: 1 << 20 });
  const dead: string[] = [];
  await src.run({ writer: r.writer, deadLetter: (_raw: string, fault: string) => dead.push(fault) });
  r.writer.publishAll();
  return { frames: drainAll(r.rings), dead };
}

describe('openSource with a job', () => {
  it('--source generator draws the job\'s generator kind as rows of its fields', async () => {
    const j = loaded(generator('market'), 'symbol');
    const o = resolveOptions({ source: 'generator', count: 200, keys: 5, seed: 3 });
    const src = await openSource(o, undefined, noIngest, undefined, j);
    const { frames } = await runInto(src!);
    expect(frames).toHaveLength(200);
    const layout = rowLayout(j.plan.fields);
    for (const f of frames) {
      const row = decodeRow(f.body, layout);
      expect(row.key).toBe(row.values.symbol);
      expect(Object.keys(row.values).sort()).toEqual(['at', 'price', 'qty', 'side', 'symbol']);
    }
  });

  it('file:PATH is read through the job\'s projector (bad fields dead-lettered)', async () => {
    const path = join(tmpDir(), 'cards.ndjson');
    writeFileSync(path, [
      JSON.stringify({ card: 'C1', amount: 5, at: 1000 }),
      JSON.stringify({ card: 'C2', amount: 'five', at: 1001 }),
    ].join('\n'));
    const j = loaded(file(path, { fields: { card: 'string', amount: 'number', at: 'time' }, time: 'at' }), 'card');
    const src = await openSource(resolveOptions({ source: `file:${path}` }), undefined, noIngest, undefined, j);
    const { frames, dead } = await runInto(src!);
    expect(frames.map((f) => decodeRow(f.body, rowLayout(j.plan.fields)).values)).toEqual([{ card: 'C1', amount: 5, at: 1000 }]);
    expect(dead).toEqual(['bad-field']);
  });

  it('--source generator with a job reading a file is refused with ERR_INVALID_OPTION', async () => {
    const j = loaded(file('x.ndjson', { fields: { card: 'string', at: 'time' }, time: 'at' }), 'card');
    await expect(openSource(resolveOptions({ source: 'generator' }), undefined, noIngest, undefined, j))
      .rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it('--source generator --generator card-txns or market without a job is refused with ERR_INVALID_OPTION (they are drawn as a job\'s rows)', async () => {
    for (const generator of ['card-txns', 'market']) {
      await expect(openSource(resolveOptions({ source: 'generator', generator }), undefined, noIngest, undefined, undefined))
        .rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/--job/) });
    }
  });
});
