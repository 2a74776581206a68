import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../../dist/src/index.js';
import { tmpDir } from '../../helpers/engine-run.js';

const run = promisify(execFile);

const GOOD = [
  '{"key":"A","ts":1000,"value":1}',
  '{"key":"A","ts":"1970-01-01T00:00:01.500Z","value":2}',
  '{"key":7,"ts":1200,"value":3}',
];
const BAD: [string, string][] = [
  ['{"key":"A","ts":1000,"value":1', 'invalid-json'],
  ['not json at all', 'invalid-json'],
  ['[1,2,3]', 'not-an-object'],
  ['42', 'not-an-object'],
  ['"a string"', 'not-an-object'],
  ['null', 'not-an-object'],
  ['{"ts":1000,"value":1}', 'missing-key'],
  ['{"key":null,"ts":1000,"value":1}', 'missing-key'],
  ['{"key":{"nested":true},"ts":1000,"value":1}', 'missing-key'],
  ['{"key":"A","value":1}', 'bad-time'],
  ['{"key":"A","ts":"yesterday","value":1}', 'bad-time'],
  ['{"key":"A","ts":true,"value":1}', 'bad-time'],
  ['{"key":"A","ts":"2024-13-45T99:00:00Z","value":1}', 'bad-time'],
  ['{"key":"A","ts":1e400,"value":1}', 'bad-time'],
  ['{"key":"A","ts":1000,"value":"12"}', 'bad-value'],
  ['{"key":"A","ts":1000}', 'bad-value'],
  ['{"key":"A","ts":1000,"value":null}', 'bad-value'],
];

describe('bad input goes to the dead-letter output with a reason, and the run continues', () => {
  it('every kind, from a file through the CLI; blank lines are ignored', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    const lines = [GOOD[0]!, ...BAD.map(([l]) => l), '', '   ', GOOD[1]!, GOOD[2]!];
    writeFileSync(input, lines.join('\n') + '\n');
    const dead = join(dir, 'dead.ndjson');
    const out = join(dir, 'out.ndjson');
    const { stderr } = await run('node', ['bin/sabre.js', 'run', '--source', `file:${input}`, '--sink', `file:${out}`,
      '--dead-letter', `file:${dead}`, '--window', 'tumbling:1s', '--agg', 'count,sum', '--http-port', '0']);
    const dl = readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(dl.map((d) => d.reason)).toEqual(BAD.map(([, r]) => r));
    expect(dl.every((d) => d.code === 'ERR_BAD_RECORD' && typeof d.detail === 'string' && d.detail.length > 0)).toBe(true);
    expect(dl.map((d) => d.input)).toEqual(BAD.map(([l]) => l));
    expect(dl[0].source).toBe(`file:${input}:2`);
    const results = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // The good records still made it: A's window [1000,2000) has 1 and 2; key 7 (a number) became "7".
    expect(results).toContainEqual({ key: 'A', start: 1000, end: 2000, count: 2, sum: 3, fire: 'watermark' });
    expect(results).toContainEqual({ key: '7', start: 1000, end: 2000, count: 1, sum: 3, fire: 'watermark' });
    expect(stderr).toContain(`${BAD.length} dead-letter`);
  });

  it('a count-only job does not require the value', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, '{"key":"A","ts":1000}\n{"key":"A","ts":1001,"value":"x"}\n');
    const out = join(dir, 'out.ndjson');
    await run('node', ['bin/sabre.js', 'run', '--source', `file:${input}`, '--sink', `file:${out}`, '--agg', 'count', '--http-port', '0']);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ key: 'A', start: 1000, end: 2000, count: 2, fire: 'watermark' });
  });

  it('the library API throws ERR_BAD_RECORD, dead-letters the record and keeps running', async () => {
    const dir = tmpDir();
    const dead = join(dir, 'dead.ndjson');
    const engine = createEngine({ source: 'api', sink: 'null', deadLetter: `file:${dead}`, httpPort: 0, progress: 0 });
    const got: unknown[] = [];
    engine.onResult((r) => got.push(r));
    await engine.start();
    await expect(engine.write({ key: 'A', ts: 'noon', value: 1 })).rejects.toMatchObject({ code: 'ERR_BAD_RECORD', reason: 'bad-time' });
    expect(() => engine.tryWrite([1])).toThrow(expect.objectContaining({ code: 'ERR_BAD_RECORD', reason: 'not-an-object' }));
    await engine.write({ key: 'A', ts: 5, value: 1 });
    const summary = await engine.stop();
    expect(summary.deadLetter).toBe(2);
    expect(got).toHaveLength(1);
    expect(readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).reason)).toEqual(['bad-time', 'not-an-object']);
  });

  it('too-large: a record whose frame exceeds a ring frame is dead-lettered from a file, and the run goes on', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    const dead = join(dir, 'dead.ndjson');
    const out = join(dir, 'out.ndjson');
    // A 1 KiB ring takes frames up to 256 bytes: a 300-byte key cannot fit, a 3-byte one can.
    const big = JSON.stringify({ key: 'K'.repeat(300), ts: 1000, value: 1 });
    writeFileSync(input, [GOOD[0]!, big, GOOD[1]!].join('\n') + '\n');
    await run('node', ['bin/sabre.js', 'run', '--source', `file:${input}`, '--sink', `file:${out}`, '--dead-letter', `file:${dead}`,
      '--ring-size', '1KiB', '--out-ring-size', '1KiB', '--window', 'tumbling:1s', '--agg', 'count,sum', '--http-port', '0']);
    const dl = readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(dl.map((d) => [d.code, d.reason, d.source, d.input])).toEqual([['ERR_BAD_RECORD', 'too-large', `file:${input}:2`, big]]);
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)))
      .toEqual([{ key: 'A', start: 1000, end: 2000, count: 2, sum: 3, fire: 'watermark' }]);
  });

  it('too-large through the library API: write() rejects and tryWrite() throws ERR_RECORD_TOO_LARGE, both dead-lettered', async () => {
    const dir = tmpDir();
    const dead = join(dir, 'dead.ndjson');
    const engine = createEngine({ source: 'api', sink: 'null', deadLetter: `file:${dead}`, ringSize: '1KiB', outRingSize: '1KiB', httpPort: 0, progress: 0 });
    const got: unknown[] = [];
    engine.onResult((r) => got.push(r));
    await engine.start();
    await expect(engine.write({ key: 'K'.repeat(300), ts: 5, value: 1 })).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE', reason: 'too-large' });
    expect(() => engine.tryWrite({ key: 'Ω'.repeat(150), ts: 5, value: 1 })) // 300 bytes of UTF-8
      .toThrow(expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE', reason: 'too-large' }));
    expect(engine.tryWrite({ key: 'Ω'.repeat(50), ts: 5, value: 1 })).toBe(true);
    const summary = await engine.stop();
    expect(summary.deadLetter).toBe(2);
    expect(summary.recordsIn).toBe(1);
    expect(got).toHaveLength(1);
    expect(readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => [JSON.parse(l).code, JSON.parse(l).reason]))
      .toEqual([['ERR_BAD_RECORD', 'too-large'], ['ERR_BAD_RECORD', 'too-large']]);
  });
});
