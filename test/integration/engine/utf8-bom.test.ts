// A UTF-8 byte-order mark (EF BB BF) at the start of a file, of stdin, of a
// POST /ingest body (NDJSON or JSON) or of a /ws/ingest text frame is
// skipped: the input gives the same windows as without it, and nothing is
// dead-lettered.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type WindowResult } from '../../../dist/src/index.js';
import { tmpDir } from '../../helpers/engine-run.js';
import { ndjson, startIngest, T0 } from '../../helpers/ingest-server.js';
import { WsClient } from '../../helpers/ws-client.js';

const BOM = '\uFEFF';
const RECORDS = ndjson(40);
const sorted = (rs: readonly WindowResult[]): string[] => rs.map((r) => JSON.stringify(r)).sort();

/** The file source's windows and dead letters for `text`. */
async function fileRun(text: string): Promise<{ windows: string[]; dead: string }> {
  const dir = tmpDir();
  writeFileSync(join(dir, 'in.ndjson'), text);
  const engine = createEngine({
    source: `file:${join(dir, 'in.ndjson')}`, sink: 'null', deadLetter: `file:${join(dir, 'dead.ndjson')}`, lateOutput: 'null',
    partitions: 2, workers: 1, window: 'tumbling:10ms', progress: 0, httpPort: 0,
  });
  const results: WindowResult[] = [];
  engine.onResult((r) => results.push(r));
  await engine.start();
  const summary = await engine.done;
  expect(summary.recordsIn).toBe(40);
  return { windows: sorted(results), dead: readFileSync(join(dir, 'dead.ndjson'), 'utf8') };
}

/** stdin through `sabre run`: its stdout (the windows) and stderr. */
function stdinRun(text: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('node', ['bin/sabre.js', 'run', '--source', 'stdin', '--window', 'tumbling:10ms', '--http-port', '0', '--progress', '0'],
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    child.stdin!.end(text);
  });
}

/** POST an NDJSON body, POST a JSON body, send a WS text frame; each opened with `prefix`. */
async function pushRun(prefix: string): Promise<{ windows: string[]; dead: unknown[]; answers: unknown[] }> {
  const f = await startIngest({ window: 'tumbling:10ms' });
  const answers: unknown[] = [];
  try {
    for (const [type, body] of [
      ['application/x-ndjson', RECORDS],
      ['application/json', `{"key":"json","ts":${T0 + 3},"value":7}`],
    ] as const) {
      const res = await fetch(`${f.base}/ingest`, { method: 'POST', body: prefix + body, headers: { 'Content-Type': type } });
      expect(res.status).toBe(202);
      answers.push(await res.json());
    }
    const c = await WsClient.connect(`${f.wsBase}/ws/ingest`);
    await c.next((m) => m.type === 'credit');
    await c.send(prefix + ndjson(5, () => 'ws'));
    const ack = await c.next((m) => m.type === 'ack');
    answers.push({ accepted: ack.accepted, rejected: ack.rejected });
    c.close();
    await c.closed;
  } finally {
    await f.stop();
  }
  return { windows: sorted(f.results), dead: f.deadLetters(), answers };
}

describe('a UTF-8 byte-order mark at the start of the input', () => {
  it('is skipped in a file', async () => {
    const plain = await fileRun(RECORDS);
    const bom = await fileRun(BOM + RECORDS);
    expect(bom.dead).toBe('');
    expect(plain.windows.length).toBeGreaterThan(0);
    expect(bom.windows).toEqual(plain.windows);
  });

  it('is skipped on stdin', async () => {
    const plain = await stdinRun(RECORDS);
    const bom = await stdinRun(BOM + RECORDS);
    expect(bom.code, bom.stderr).toBe(0);
    expect(bom.stderr).toMatch(/ 40 records.* 0 dead-letter/);
    expect(bom.stdout.split('\n').sort()).toEqual(plain.stdout.split('\n').sort());
  });

  it('is skipped in a POST /ingest body (NDJSON and JSON) and a /ws/ingest text frame', async () => {
    const plain = await pushRun('');
    const bom = await pushRun(BOM);
    expect(bom.dead).toEqual([]);
    expect(bom.answers).toEqual([
      { accepted: 40, rejected: 0, errors: [] }, { accepted: 1, rejected: 0, errors: [] }, { accepted: 5, rejected: 0 },
    ]);
    expect(plain.windows.length).toBeGreaterThan(0);
    expect(bom.windows).toEqual(plain.windows);
  });
});
