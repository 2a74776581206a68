// NDJSON sources (src/io/sources/ndjson-source.ts) against full rings: a tiny ring
// and a deliberately slow worker make the file source and stdin pause (the
// stream is not read while a ring is full) and resume. The pauses are
// counted, records in flight stay bounded by the rings, nothing is lost, and
// the results equal the single-threaded reference.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../../dist/src/index.js';
import { FRAME_HEADER_BYTES } from '../../../dist/src/codec/frame.js';
import { recordBodyBytes } from '../../../dist/src/codec/record-writer.js';
import { canonicalLines, runReference, type RefRecord, type RefUserAggregate } from '../../reference/reference-job.js';
import { partitionOf, tmpDir } from '../../helpers/engine-run.js';
import slowsum from '../../fixtures/slow-aggregate.mjs';

const P = 2;
const N = 3000;
const RING = 1024;

function records(n: number): RefRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${(i * 7) % 10}`, ts: 1_000_000 + i * 2 - ((i * 13) % 5), value: ((i * 37) % 101) / 4 }));
}

const ndjson = (rs: RefRecord[]): string => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';
const lines = (f: string): string[] => readFileSync(f, 'utf8').split('\n').filter(Boolean);

function reference(rs: RefRecord[], aggregates: string[], userAggregate?: RefUserAggregate): string[] {
  const ref = runReference(rs, {
    window: { kind: 'tumbling', size: 50 }, aggregates, userAggregate, outOfOrderness: 10, allowedLateness: 0,
    partitions: P, partitionOf: partitionOf(P),
  });
  expect(ref.late).toEqual([]);
  return canonicalLines(ref.results);
}

describe('NDJSON sources pause on full rings and resume; nothing is lost', () => {
  it('file source: pauses counted, in-flight records bounded by the rings, results equal the reference', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    const out = join(dir, 'out.ndjson');
    const rs = records(N);
    writeFileSync(input, ndjson(rs));
    const engine = createEngine({
      source: `file:${input}`, sink: `file:${out}`, lateOutput: `file:${join(dir, 'late.ndjson')}`, deadLetter: `file:${join(dir, 'dead.ndjson')}`,
      ringSize: RING, window: 'tumbling:50ms', outOfOrderness: 10, idleTimeout: '1h', partitions: P, workers: 1, progress: 0, httpPort: 0,
      slowMicrosPerRecord: 40,
    });
    await engine.start();
    let maxInFlight = 0;
    let samples = 0;
    const timer = setInterval(() => {
      const s = engine.snapshot();
      maxInFlight = Math.max(maxInFlight, s.recordsIn - s.recordsProcessed);
      samples++;
    }, 1);
    const summary = await engine.done;
    clearInterval(timer);
    const src = summary.sources.find((s) => s.name === `file:${input}`)!;
    expect(src.pauses).toBeGreaterThan(10);
    expect(src.pausedSeconds).toBeGreaterThan(0);
    expect(src.records).toBe(N);
    expect(summary.recordsIn).toBe(N);
    expect(summary.recordsProcessed).toBe(N);
    expect(summary.deadLetter).toBe(0);
    // Each frame is at least 80 bytes: P rings hold at most P × 12 frames, plus one batch the worker has released
    // but not yet counted as processed.
    const perRing = Math.floor(RING / (Math.ceil((FRAME_HEADER_BYTES + recordBodyBytes(2)) / 8) * 8));
    expect(samples).toBeGreaterThan(10);
    expect(maxInFlight).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual((P + 1) * perRing);
    expect(lines(out).sort()).toEqual(reference(rs, ['count', 'sum', 'min', 'max', 'avg']));
  });

  it('stdin through `sabre run`: a slow aggregate fills the tiny rings, stdin pauses and resumes, every record arrives', async () => {
    const dir = tmpDir();
    const out = join(dir, 'out.ndjson');
    const rs = records(N);
    const text = ndjson(rs); // well over a pipe buffer (64 KiB): the writer below is held back too
    expect(text.length).toBeGreaterThan(1 << 16);
    const child = spawn('node', ['bin/sabre.js', 'run', '--source', 'stdin', '--sink', `file:${out}`, '--late-output', `file:${join(dir, 'late.ndjson')}`,
      '--dead-letter', `file:${join(dir, 'dead.ndjson')}`, '--ring-size', String(RING), '--window', 'tumbling:50ms', '--out-of-orderness', '10',
      '--idle-timeout', '1h', '--agg', 'count,sum,slowsum', '--aggregate-module', new URL('../../fixtures/slow-aggregate.mjs', import.meta.url).pathname,
      '--partitions', String(P), '--workers', '1', '--progress', '0', '--http-port', '0'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin.end(text);
    expect(await exit).toBe(0);
    const m = /done in [\d.]+s: ([\d,]+) records .* (\d+) dead-letter; sources paused (\d+) times \(([\d.]+)s\)/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    expect(Number(m![1]!.replace(/,/g, ''))).toBe(N);
    expect(Number(m![2])).toBe(0);
    expect(Number(m![3])).toBeGreaterThan(10);
    expect(Number(m![4])).toBeGreaterThan(0);
    expect(lines(out).sort()).toEqual(reference(rs, ['count', 'sum', 'slowsum'], slowsum));
  });
});
