// A result frame carries its record's key (and a user aggregate's JSON): one
// larger than the out-ring's largest frame used to make the worker wait for
// space forever. Now the options refuse an out-ring smaller than the input
// ring (so every record a ring accepts has a result that fits), and a result
// that still cannot fit (a huge user aggregate result) fails the run with
// ERR_RESULT_TOO_LARGE instead of hanging.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, resolveOptions, type WindowResult } from '../../../dist/src/index.js';
import { FRAME_HEADER_BYTES } from '../../../dist/src/codec/frame.js';
import { recordBodyBytes } from '../../../dist/src/codec/record-writer.js';
import { tmpDir } from '../../helpers/engine-run.js';

const HUGE = new URL('../../fixtures/huge-result-aggregate.mjs', import.meta.url).pathname;

/** Runs `sabre` and resolves with its exit; kills it (and fails) if it has not exited within `ms`. */
function sabre(args: string[], ms: number): Promise<{ code: number | null; stderr: string; hung: boolean }> {
  return new Promise((resolve) => {
    const child = spawn('node', ['bin/sabre.js', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let hung = false;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, ms);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr, hung }); });
  });
}

describe('results larger than an out-ring frame', () => {
  it('options: --out-ring-size below --ring-size is ERR_INVALID_OPTION; equal or larger is accepted; unset, it follows --ring-size', () => {
    expect(resolveOptions({}).outRingSize).toBe(1 << 20);
    expect(resolveOptions({ ringSize: '1KiB' }).outRingSize).toBe(1 << 20);
    expect(resolveOptions({ ringSize: '4MiB' }).outRingSize).toBe(4 << 20);
    expect(() => resolveOptions({ ringSize: '2KiB', outRingSize: '1KiB' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => resolveOptions({ outRingSize: '512KiB' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' })); // default ring 1 MiB
    expect(resolveOptions({ ringSize: '1KiB', outRingSize: '1KiB' }).outRingSize).toBe(1024);
    expect(resolveOptions({ ringSize: '1KiB', outRingSize: '4KiB' }).outRingSize).toBe(4096);
  });

  it('the reported repro (a 1000-char key, --out-ring-size 1KiB) exits at once with ERR_INVALID_OPTION instead of hanging', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, `${JSON.stringify({ key: 'k'.repeat(1000), ts: 1000, value: 1 })}\n`);
    const r = await sabre(['run', '--source', `file:${input}`, '--out-ring-size', '1KiB', '--sink', 'null', '--progress', '0', '--http-port', '0'], 20_000);
    expect(r.hung).toBe(false);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERR_INVALID_OPTION');
  });

  it('with the smallest out-ring allowed, the largest key a ring accepts still gets its result; one byte more is too-large', async () => {
    // Largest record frame a 1 KiB ring accepts: a quarter of it.
    const maxKey = 1024 / 4 - FRAME_HEADER_BYTES - recordBodyBytes(0);
    const engine = createEngine({ source: 'api', sink: 'null', deadLetter: 'null', ringSize: '1KiB', outRingSize: '1KiB',
      window: 'tumbling:1s', partitions: 1, workers: 1, progress: 0, httpPort: 0 });
    const got: WindowResult[] = [];
    engine.onResult((r) => got.push(r));
    await engine.start();
    await engine.write({ key: 'a'.repeat(maxKey), ts: 1500, value: 2 });
    await expect(engine.write({ key: 'b'.repeat(maxKey + 1), ts: 1500, value: 3 }))
      .rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE', reason: 'too-large' });
    const summary = await engine.stop();
    expect(got).toEqual([{ key: 'a'.repeat(maxKey), start: 1000, end: 2000, count: 1, sum: 2, min: 2, max: 2, avg: 2, fire: 'watermark' }]);
    expect(summary.deadLetter).toBe(1);
  });

  it('a user aggregate result larger than the out-ring frame fails the run with ERR_RESULT_TOO_LARGE (library)', async () => {
    const engine = createEngine({ source: 'api', sink: 'null', ringSize: '4KiB', outRingSize: '4KiB', window: 'tumbling:1s',
      agg: 'count,blob', aggregateModule: HUGE, partitions: 2, workers: 1, progress: 0, httpPort: 0 });
    await engine.start();
    await engine.write({ key: 'k', ts: 1000, value: 1 });
    const err = await engine.stop().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_WORKER_CRASHED', cause: { code: 'ERR_RESULT_TOO_LARGE', fault: 'user' } });
    await expect(engine.done).rejects.toBe(err);
  });

  it('…and through `sabre run` the process fails on its own and exits non-zero, naming ERR_RESULT_TOO_LARGE', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, '{"key":"k","ts":1000,"value":1}\n{"key":"k","ts":5000,"value":1}\n');
    const r = await sabre(['run', '--source', `file:${input}`, '--sink', 'null', '--ring-size', '1KiB', '--out-ring-size', '1KiB',
      '--agg', 'count,blob', '--aggregate-module', HUGE, '--partitions', '1', '--workers', '1', '--progress', '0', '--http-port', '0'], 20_000);
    expect(r.hung).toBe(false);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERR_WORKER_CRASHED');
    expect(r.stderr).toContain('ERR_RESULT_TOO_LARGE');
    // With checkpoints, a worker failure normally restores and retries; this one would fail the same way, so it does not.
    const c = await sabre(['run', '--source', `file:${input}`, '--sink', 'null', '--ring-size', '1KiB', '--out-ring-size', '1KiB',
      '--agg', 'count,blob', '--aggregate-module', HUGE, '--partitions', '1', '--workers', '1', '--progress', '0', '--http-port', '0',
      '--checkpoint-dir', join(dir, 'cp'), '--checkpoint-interval', '50ms'], 20_000);
    expect(c.hung).toBe(false);
    expect(c.code).not.toBe(0);
    expect(c.stderr.match(/ERR_RESULT_TOO_LARGE/g)).toHaveLength(1);
  });
});
