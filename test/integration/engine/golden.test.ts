import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { partitionOf, tmpDir } from '../../helpers/engine-run.js';
import { canonicalLines, runReference, type RefRecord, type RefWindow } from '../../reference/reference-job.js';

const run = promisify(execFile);
const golden = (f: string): string[] => readFileSync(new URL(`../../golden/${f}`, import.meta.url), 'utf8').split('\n').filter(Boolean);
const read = (f: string): string[] => readFileSync(f, 'utf8').split('\n').filter(Boolean);

// test/golden/input.ndjson (ISO and epoch times, a blank line, out-of-order and
// late records) through the CLI, file source → file sink, for each window type.
// Expected files were produced by the reference (test/reference) and checked by hand.
describe('golden JSONL through `sabre run`', () => {
  for (const [name, window] of [['tumbling', 'tumbling:1s'], ['sliding', 'sliding:2s,1s'], ['session', 'session:700ms']]) {
    it(`${name} windows`, async () => {
      const dir = tmpDir();
      const out = join(dir, 'out.ndjson');
      const late = join(dir, 'late.ndjson');
      const { stderr } = await run('node', ['bin/sabre.js', 'run', '--source', `file:${new URL('../../golden/input.ndjson', import.meta.url).pathname}`,
        '--sink', `file:${out}`, '--late-output', `file:${late}`, '--dead-letter', `file:${join(dir, 'dead.ndjson')}`,
        '--window', window!, '--out-of-orderness', '500ms', '--allowed-lateness', '300', '--partitions', '1', '--workers', '1',
        '--http-port', '0']);
      expect(read(out).sort()).toEqual(golden(`${name}.expected.ndjson`));
      expect(read(late).map((l) => { const r = JSON.parse(l); return JSON.stringify({ key: r.key, ts: r.ts, value: r.value }); }))
        .toEqual(golden(`${name}.late.expected.ndjson`));
      expect(read(late).every((l) => JSON.parse(l).reason === 'ERR_LATE_RECORD')).toBe(true);
      expect(stderr).toMatch(/done in .*11 records/);
    });
  }
});

/** Golden input as reference records; an ISO time without an offset is UTC (docs/SEMANTICS.md, Records). */
function goldenRecords(file: string): RefRecord[] {
  return golden(file).map((l) => JSON.parse(l) as { key: string; ts: number | string; value: number }).map((r) => ({
    key: r.key, value: r.value,
    ts: typeof r.ts === 'number' ? r.ts : Date.parse(/T.*(Z|[+-]\d\d:?\d\d)$/.test(r.ts) || !r.ts.includes('T') ? r.ts : `${r.ts}Z`),
  }));
}

const lateKey = (r: { key: string; ts: number; value: number }): string => JSON.stringify({ key: r.key, ts: r.ts, value: r.value });

function reference(file: string, window: RefWindow, o: { outOfOrderness: number; allowedLateness: number; partitions: number }) {
  const ref = runReference(goldenRecords(file), {
    window, aggregates: ['count', 'sum', 'min', 'max', 'avg'], ...o, partitionOf: partitionOf(o.partitions),
  });
  return { results: canonicalLines(ref.results), late: ref.late.map(lateKey).sort() };
}

const WINDOWS: [string, string, RefWindow][] = [
  ['tumbling', 'tumbling:1s', { kind: 'tumbling', size: 1000 }],
  ['sliding', 'sliding:2s,1s', { kind: 'sliding', size: 2000, slide: 1000 }],
  ['session', 'session:700ms', { kind: 'session', gap: 700 }],
];

describe('the P=1 golden files are the reference\'s output', () => {
  for (const [name, , window] of WINDOWS) {
    it(`${name}`, () => {
      const ref = reference('input.ndjson', window, { outOfOrderness: 500, allowedLateness: 300, partitions: 1 });
      expect(golden(`${name}.expected.ndjson`)).toEqual(ref.results);
      expect([...golden(`${name}.late.expected.ndjson`)].sort()).toEqual(ref.late);
    });
  }
});

// test/golden/multi.ndjson: 120 records over 8 keys spread across 4 partitions
// (2 workers), epoch, ISO and offset-less ISO times, a blank line, disorder
// beyond the bound: every window type has late firings and late output.
// Output order across partitions and workers is not part of the contract,
// so results and late records are compared sorted. The expected files come
// from the single-threaded reference (test/reference), never from the
// engine: the first test proves that they are its output; to regenerate them
// after a change of semantics, run this file with SABRE_GOLDEN_WRITE=1.
const MULTI: [string, string, RefWindow][] = [
  ['tumbling', 'tumbling:1s', { kind: 'tumbling', size: 1000 }],
  ['sliding', 'sliding:2s,500ms', { kind: 'sliding', size: 2000, slide: 500 }],
  ['session', 'session:600ms', { kind: 'session', gap: 600 }],
];
const MULTI_OPTS = { outOfOrderness: 300, allowedLateness: 400, partitions: 4 };

describe('golden JSONL, P=4 W=2, with late firings and late output', () => {
  for (const [name, windowText, window] of MULTI) {
    it(`${name}: the expected files are the reference's output, with late firings and late records`, () => {
      const ref = reference('multi.ndjson', window, MULTI_OPTS);
      if (process.env.SABRE_GOLDEN_WRITE === '1') {
        writeFileSync(new URL(`../../golden/multi-${name}.expected.ndjson`, import.meta.url), ref.results.join('\n') + '\n');
        writeFileSync(new URL(`../../golden/multi-${name}.late.expected.ndjson`, import.meta.url), ref.late.join('\n') + '\n');
      }
      expect(golden(`multi-${name}.expected.ndjson`)).toEqual(ref.results);
      expect(golden(`multi-${name}.late.expected.ndjson`)).toEqual(ref.late);
      expect(ref.results.filter((l) => JSON.parse(l).fire === 'late').length).toBeGreaterThanOrEqual(2);
      expect(ref.late.length).toBeGreaterThanOrEqual(2);
    });

    it(`${name} windows through \`sabre run\` (file source, P=4, W=2)`, async () => {
      const dir = tmpDir();
      const out = join(dir, 'out.ndjson');
      const late = join(dir, 'late.ndjson');
      const { stderr } = await run('node', ['bin/sabre.js', 'run', '--source', `file:${new URL('../../golden/multi.ndjson', import.meta.url).pathname}`,
        '--sink', `file:${out}`, '--late-output', `file:${late}`, '--dead-letter', `file:${join(dir, 'dead.ndjson')}`,
        '--window', windowText, '--out-of-orderness', '300ms', '--allowed-lateness', '400ms', '--idle-timeout', '1h',
        '--partitions', '4', '--workers', '2', '--http-port', '0']);
      expect(read(out).sort()).toEqual(golden(`multi-${name}.expected.ndjson`));
      expect(read(late).map((l) => lateKey(JSON.parse(l))).sort()).toEqual(golden(`multi-${name}.late.expected.ndjson`));
      expect(read(late).every((l) => JSON.parse(l).reason === 'ERR_LATE_RECORD')).toBe(true);
      expect(stderr).toMatch(/done in .*120 records/);
    });
  }
});
