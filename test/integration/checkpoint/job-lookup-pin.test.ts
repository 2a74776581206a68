// A lookup table's version is part of a job's checkpoints: a run killed with
// -9 and restored enriches the records after its checkpoint with the table
// the checkpoint recorded, not with the table as edited since, and takes the
// edited table from a later checkpoint barrier on. Runs the built CLI (build first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpDir } from '../../helpers/engine-run.js';
import { pinnedTableFile, tableVersion } from '../../../dist/src/operators/pipeline/lookup-table.js';
import { committedLines, completeCheckpoints, startSabre, waitFor } from '../../helpers/sabre-process.js';

const SABRE = pathToFileURL(resolve('dist/src/index.js')).href;
const RECORDS = 1_500_000;
const CARDS = 100;
const T0 = 1_700_000_000_000;

let dir: string;

/** The table: every card's tier, one version's word for all of them. */
function writeTable(path: string, tier: string): void {
  writeFileSync(path, Array.from({ length: CARDS }, (_, c) => JSON.stringify({ card: `c${c}`, tier })).join('\n') + '\n');
}

beforeAll(() => {
  dir = tmpDir();
  writeFileSync(join(dir, 'in.ndjson'), Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ card: `c${i % CARDS}`, seq: i, at: T0 + i })).join('\n') + '\n');
  writeFileSync(join(dir, 'job.mjs'), `import { job, file, toFile, fileTable } from ${JSON.stringify(SABRE)};
const tiers = fileTable('tiers.ndjson', { key: 'card' });
export default job({
  source: file(${JSON.stringify(join(dir, 'in.ndjson'))}, { time: 'at', fields: { card: 'string', seq: 'number', at: 'time' } }),
  sink: toFile(${JSON.stringify(join(dir, 'out.ndjson'))}),
})
  .lookup(tiers, { on: 'card', as: 'p' })
  .map((t) => ({ seq: t.seq, tier: t.p === null ? null : t.p.tier }));
`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lookup table versions in checkpoints', () => {
  it('a restore enriches with the checkpoint\'s table version until a later barrier switches to the edited table; every record once', async () => {
    const table = join(dir, 'tiers.ndjson');
    writeTable(table, 'old');
    const cp = join(dir, 'cp');
    const args = ['run', '--job', join(dir, 'job.mjs'), '--partitions', '4', '--workers', '2', '--http-port', '0', '--progress', '0',
      '--dead-letter', 'null', '--checkpoint-dir', cp, '--checkpoint-interval', '100ms'];
    const first = startSabre(args);
    // Killed once a checkpoint has read part of the input.
    await waitFor('a checkpoint past the start', () => completeCheckpoints(cp).some((m) => positionOf(m) > 0), first, 60_000);
    first.child.kill('SIGKILL');
    await first.exit;
    // Read now: the restored run prunes older checkpoints as it makes its own.
    const positions = new Map(completeCheckpoints(cp).map((m) => [m.id, positionOf(m)]));
    writeTable(table, 'new');

    const second = startSabre([...args, '--restore', 'latest']);
    const r = await second.exit;
    expect(r.code, r.stderr).toBe(0);
    const restored = Number(/restored from checkpoint (\d+)/.exec(r.stderr)?.[1]);
    // The records the restored checkpoint had read are the first `from` of the input.
    const from = positions.get(restored)!;
    expect(from, r.stderr).toBeDefined();
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThan(RECORDS);

    const outs = committedLines(join(dir, 'out.ndjson')).map((l) => JSON.parse(l) as { seq: number; tier: string });
    const bySeq = new Map(outs.map((o) => [o.seq, o.tier]));
    expect(outs.length).toBe(RECORDS);
    expect(bySeq.size).toBe(RECORDS);
    // The edited table is taken at one barrier: every record before its position old, every one after it new.
    const firstNew = outs.filter((o) => o.tier === 'new').reduce((m, o) => Math.min(m, o.seq), Infinity);
    const lastOld = outs.filter((o) => o.tier === 'old').reduce((m, o) => Math.max(m, o.seq), -1);
    expect(outs.every((o) => o.tier === 'old' || o.tier === 'new')).toBe(true);
    expect(lastOld).toBeLessThan(firstNew);
    expect(firstNew).toBeLessThan(RECORDS);
    // The records after the checkpoint were enriched with its version: the live table (new) was not used at once.
    expect(firstNew).toBeGreaterThan(from);
    // The newest checkpoint with state holds its copy of the version it recorded: the edited table.
    const latest = completeCheckpoints(cp).filter((m) => m.snapshots.length > 0).sort((a, b) => b.id - a.id)[0]!;
    const copy = join(cp, `chk-${String(latest.id).padStart(8, '0')}`, pinnedTableFile(tableVersion(readFileSync(table, 'utf8'))));
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(table, 'utf8'));
  }, 180_000);
});

/** Records of the input a checkpoint had read (the file source's position). */
function positionOf(m: { sources: { position: unknown }[] }): number {
  const p = m.sources[0]?.position as { lines?: number } | undefined;
  return p?.lines ?? 0;
}
