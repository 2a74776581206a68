import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../../dist/src/index.js';
import { MAX_EVENT_TIME, MIN_EVENT_TIME, isEventTime } from '../../../dist/src/time/event-time-range.js';
import { tmpDir } from '../../helpers/engine-run.js';
import { startIngest, until } from '../../helpers/ingest-server.js';
import { recordBatch } from '../../helpers/flat-batch.js';

// A record that changes nothing must change nothing: an event time that is not a whole number of epoch ms
// from year 0 to year 9999 is dead-lettered as bad-time on every input path (file, library API, HTTP NDJSON
// and flatbuffers), before it reaches a ring, so it moves no watermark; the windows are those of the input
// without it.
const run = promisify(execFile);

const BAD_TIMES: string[] = [
  '{"key":"A","ts":1e300,"value":100}', // read in place by the field scanner
  '{"key":7,"ts":1e300,"value":100}', // a number key: parsed (JSON.parse + RecordFields)
  '{"key":"B","ts":1.5,"value":100}',
  '{"key":"C","ts":253402300800000,"value":100}', // 10000-01-01T00:00:00.000Z
  '{"key":"A","ts":-62167219200001,"value":100}', // a ms before 0000-01-01
  '{"key":"B","ts":"+010000-01-01T00:00:00Z","value":100}',
];

function goodLines(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) lines.push(JSON.stringify({ key: ['A', 'B', 'C', '7'][i % 4], ts: 1000 + i * 50 - (i % 3) * 20, value: i }));
  return lines;
}

async function runFile(dir: string, name: string, lines: string[]): Promise<{ out: string[]; dead: { reason: string; input: string; code: string }[]; late: string }> {
  const input = join(dir, `${name}.ndjson`);
  writeFileSync(input, lines.join('\n') + '\n');
  const out = join(dir, `${name}.out`);
  const dead = join(dir, `${name}.dead`);
  const late = join(dir, `${name}.late`);
  await run('node', ['bin/sabre.js', 'run', '--source', `file:${input}`, '--sink', `file:${out}`, '--dead-letter', `file:${dead}`,
    '--late-output', `file:${late}`, '--window', 'tumbling:1s', '--agg', 'count,sum', '--http-port', '0', '--progress', '0']);
  const read = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
  return { out: read(out).sort(), dead: read(dead).map((l) => JSON.parse(l)), late: read(late).join('\n') };
}

describe('event times out of range are dead-lettered as bad-time', () => {
  it('the range: whole epoch ms from 0000-01-01 to 9999-12-31', () => {
    expect(MIN_EVENT_TIME).toBe(Date.parse('0000-01-01T00:00:00.000Z'));
    expect(MAX_EVENT_TIME).toBe(Date.parse('9999-12-31T23:59:59.999Z'));
    for (const t of [0, -1, 1_700_000_000_000, MIN_EVENT_TIME, MAX_EVENT_TIME]) expect(isEventTime(t), String(t)).toBe(true);
    for (const t of [1e300, 1.5, -0.5, MAX_EVENT_TIME + 1, MIN_EVENT_TIME - 1, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER]) {
      expect(isEventTime(t), String(t)).toBe(false);
    }
  });

  it('from a file: each bad time is a bad-time dead letter and the windows equal those of the input without them', async () => {
    const dir = tmpDir();
    const good = goodLines();
    const reference = await runFile(dir, 'reference', good);
    expect(reference.out.length).toBeGreaterThan(20);
    expect(reference.dead).toEqual([]);
    // The bad records in the middle of the input, after the watermark has moved: before the fix 1e300 and
    // year 10000 raised their partition's watermark so every later record of it was late.
    const mixed = [...good.slice(0, 80), ...BAD_TIMES, ...good.slice(80)];
    const got = await runFile(dir, 'mixed', mixed);
    expect(got.dead.map((d) => [d.code, d.reason, d.input])).toEqual(BAD_TIMES.map((l) => ['ERR_BAD_RECORD', 'bad-time', l]));
    expect(got.late).toBe('');
    expect(got.out).toEqual(reference.out);
  });

  it('through the library API: write() throws ERR_BAD_RECORD with reason bad-time and the run goes on unchanged', async () => {
    const dir = tmpDir();
    const dead = join(dir, 'dead.ndjson');
    const engine = createEngine({ source: 'api', sink: 'null', deadLetter: `file:${dead}`, lateOutput: 'null', httpPort: 0, progress: 0,
      window: 'tumbling:1s', agg: 'count' });
    const got: { key: string; start: number; count: number }[] = [];
    engine.onResult((r) => got.push(r as never));
    await engine.start();
    await engine.write({ key: 'A', ts: 1000, value: 1 });
    for (const ts of [1e300, 1.5, MAX_EVENT_TIME + 1, MIN_EVENT_TIME - 1]) {
      await expect(engine.write({ key: 'A', ts, value: 1 })).rejects.toMatchObject({ code: 'ERR_BAD_RECORD', reason: 'bad-time' });
    }
    expect(() => engine.tryWrite({ key: 'A', ts: 1e300, value: 1 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_RECORD', reason: 'bad-time' }));
    await engine.write({ key: 'A', ts: 1500, value: 1 });
    const summary = await engine.stop();
    expect(summary.deadLetter).toBe(5);
    expect(summary.late).toBe(0);
    expect(got.map((r) => [r.key, r.start, r.count])).toEqual([['A', 1000, 2]]);
    expect(readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).reason)).toEqual(Array(5).fill('bad-time'));
  });

  it('over HTTP ingest, NDJSON and flatbuffers alike; later records of the partition are on time', async () => {
    const fx = await startIngest({ window: 'tumbling:1s', agg: 'count', partitions: 1 });
    try {
      const nd = await fetch(`${fx.base}/ingest`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' },
        body: ['{"key":"A","ts":1000,"value":1}', '{"key":"A","ts":1e300,"value":1}', '{"key":"A","ts":1.5,"value":1}'].join('\n'),
      });
      expect(await nd.json()).toMatchObject({ accepted: 1, rejected: 2, errors: [{ line: 2, reason: 'bad-time' }, { line: 3, reason: 'bad-time' }] });
      const fb = await fetch(`${fx.base}/ingest`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' },
        body: recordBatch([{ key: 'A', ts: 1e300, value: 1 }, { key: 'A', ts: MAX_EVENT_TIME + 1, value: 1 }, { key: 'A', ts: 1200, value: 1 },
          { key: 'A', ts: 3000, value: 1 }]),
      });
      expect(await fb.json()).toMatchObject({ accepted: 2, rejected: 2, errors: [{ index: 0, reason: 'bad-time' }, { index: 1, reason: 'bad-time' }] });
      await until(() => fx.results.length > 0);
      expect(fx.results.map((r) => [r.key, r.start, r.count])).toEqual([['A', 1000, 2]]);
      // The dead-letter file is written apart from the results' path: its last line may land after the window fired.
      await until(() => fx.deadLetters().length >= 4);
      expect(fx.deadLetters().map((d) => d.reason)).toEqual(Array(4).fill('bad-time'));
    } finally {
      await fx.stop();
    }
  });
});

describe('--max-future-skew', () => {
  it('dead-letters records whose event time is more than D ahead of the wall clock as future-time; off by default', async () => {
    const dir = tmpDir();
    const dead = join(dir, 'dead.ndjson');
    const engine = createEngine({ source: 'api', sink: 'null', deadLetter: `file:${dead}`, lateOutput: 'null', httpPort: 0, progress: 0,
      window: 'tumbling:1s', agg: 'count', maxFutureSkew: '1m' });
    expect(engine.options.maxFutureSkew).toBe(60_000);
    await engine.start();
    await engine.write({ key: 'A', ts: 1000, value: 1 }); // the past is fine
    await engine.write({ key: 'A', ts: Date.now() + 5_000, value: 1 }); // within the skew
    await expect(engine.write({ key: 'A', ts: Date.now() + 3_600_000, value: 1 }))
      .rejects.toMatchObject({ code: 'ERR_BAD_RECORD', reason: 'future-time' });
    const summary = await engine.stop();
    expect(summary.deadLetter).toBe(1);
    const lines = readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.map((d) => [d.code, d.reason])).toEqual([['ERR_BAD_RECORD', 'future-time']]);

    const off = createEngine({ source: 'api', sink: 'null', deadLetter: 'null', lateOutput: 'null', httpPort: 0, progress: 0 });
    expect(off.options.maxFutureSkew).toBe(0);
    await off.start();
    await off.write({ key: 'A', ts: Date.now() + 3_600_000, value: 1 });
    expect((await off.stop()).deadLetter).toBe(0);
  });

  it('from a file through the CLI, and listed by `sabre run --help`', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    const future = Date.now() + 24 * 3_600_000;
    const lines = ['{"key":"A","ts":1000,"value":1}', `{"key":"A","ts":${future},"value":1}`, '{"key":"A","ts":1100,"value":1}'];
    writeFileSync(input, lines.join('\n') + '\n');
    const out = join(dir, 'out.ndjson');
    const dead = join(dir, 'dead.ndjson');
    await run('node', ['bin/sabre.js', 'run', '--source', `file:${input}`, '--sink', `file:${out}`, '--dead-letter', `file:${dead}`,
      '--agg', 'count', '--http-port', '0', '--progress', '0', '--max-future-skew', '1h']);
    const dl = readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(dl.map((d) => [d.reason, d.input, d.source])).toEqual([['future-time', lines[1], `file:${input}:2`]]);
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)))
      .toEqual([{ key: 'A', start: 1000, end: 2000, count: 2, fire: 'watermark' }]);
    const help = await run('node', ['bin/sabre.js', 'run', '--help']);
    expect(help.stdout + help.stderr).toMatch(/--max-future-skew\s+.*future-time/);
  });
});
