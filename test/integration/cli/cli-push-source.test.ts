// `sabre run --source http`: a job fed only by push ingest. It reads nothing
// itself and does not end on its own: records POSTed to /ingest (and sent
// to /ws/ingest) are its input, and SIGINT drains it, firing the open
// windows. Without the HTTP server (--http-port 0) it refuses to start.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { freePort, startSabreServer } from '../../helpers/sabre-server-process.js';
import { WsClient } from '../../helpers/ws-client.js';

const T0 = 1_700_000_000_000;

describe('sabre run --source http', () => {
  it('takes records only from POST /ingest and /ws/ingest, runs until SIGINT, then writes the windows', async () => {
    const out = join(tmpDir(), 'windows.ndjson');
    const port = await freePort();
    const proc = startSabreServer(['run', '--source', 'http', '--http-port', String(port), '--sink', `file:${out}`,
      '--window', 'tumbling:1s', '--agg', 'count,sum', '--partitions', '2', '--workers', '1', '--progress', '0']);
    try {
      const m = await proc.waitFor(/POST records to (http:\/\/\S+\/ingest)/);
      expect(m[1]).toBe(`http://127.0.0.1:${port}/ingest`);
      const post = await fetch(m[1]!, {
        method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' },
        body: `{"key":"AAPL","ts":${T0},"value":1}\n{"key":"AAPL","ts":${T0 + 500},"value":2}\n{"key":"MSFT","ts":${T0 + 1200},"value":5}\n`,
      });
      expect(post.status).toBe(202);
      expect(await post.json()).toEqual({ accepted: 3, rejected: 0, errors: [] });
      const one = await fetch(m[1]!, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `{"key":"AAPL","ts":${T0 + 900},"value":4}` });
      expect(one.status).toBe(202);
      const ws = await WsClient.connect(`ws://127.0.0.1:${port}/ws/ingest`);
      await ws.next((x) => x.type === 'credit');
      await ws.send(`{"key":"MSFT","ts":${T0 + 1300},"value":6}\n`);
      expect(await ws.next((x) => x.type === 'ack')).toMatchObject({ accepted: 1, rejected: 0 });
      ws.close();
      await ws.closed;

      // Nothing ends the job but a signal: it is still running with every record in.
      await new Promise((r) => setTimeout(r, 300));
      expect(proc.child.exitCode).toBeNull();
      proc.child.kill('SIGINT');
      const { code } = await proc.exit;
      expect(code, proc.stderr()).toBe(0);
      expect(proc.stderr()).toMatch(/done in .*: 5 records/);
      const windows = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(windows.sort((a, b) => a.key.localeCompare(b.key) || a.start - b.start)).toEqual([
        { key: 'AAPL', start: T0, end: T0 + 1000, count: 3, sum: 7, fire: 'watermark' },
        { key: 'MSFT', start: T0 + 1000, end: T0 + 2000, count: 2, sum: 11, fire: 'watermark' },
      ]);
    } finally {
      await proc.stop();
    }
  });

  it('needs the HTTP server: with --http-port 0 it exits non-zero and says so', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile('node', ['bin/sabre.js', 'run', '--source', 'http', '--http-port', '0'], { timeout: 20_000 },
        (err, _stdout, stderr) => resolve({ code: err ? 1 : 0, stderr }));
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_INVALID_OPTION: --source http .*--http-port/);
  });

  it('is in sabre help', async () => {
    const stdout = await new Promise<string>((resolve) => execFile('node', ['bin/sabre.js', 'help'], (_e, o) => resolve(o)));
    const line = stdout.split('\n').find((l) => l.trimStart().startsWith('--source ')) ?? '';
    expect(line).toMatch(/\| http\b.*POST \/ingest/);
  });
});
