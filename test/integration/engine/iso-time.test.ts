// An ISO-8601 event time without an offset is UTC, whatever the machine's
// time zone (docs/SEMANTICS.md, Records). Checked in child processes with
// TZ=America/New_York (UTC-5 in January, UTC-4 in July), through every path
// that parses JSON times: RecordFields (file, stdin, HTTP, WebSocket, the
// library API), the Kafka JSON path (JsonFieldScanner declines ISO strings,
// so RecordFields decides), and `sabre run` end to end.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';

const run = promisify(execFile);
const NEW_YORK = { ...process.env, TZ: 'America/New_York' };

// The probe's TIMES, as UTC.
const EXPECTED = [
  Date.UTC(2024, 0, 2, 9, 30), // 2024-01-02T09:30:00
  Date.UTC(2024, 0, 2, 9, 30, 0, 250), // 2024-01-02T09:30:00.250
  Date.UTC(2024, 0, 2, 9, 30), // 2024-01-02 09:30
  Date.UTC(2024, 6, 1, 23, 59, 59, 999), // 2024-07-01T23:59:59.999 (daylight saving time in New York)
  Date.UTC(2024, 0, 2, 9, 30), // ...Z
  Date.UTC(2024, 0, 2, 8, 30), // ...+01:00
  Date.UTC(2024, 0, 2), // a date alone
];

describe('ISO-8601 times without an offset are UTC', () => {
  it('in a process whose time zone is America/New_York: RecordFields, the Kafka JSON path and the engine all read UTC', async () => {
    const { stdout } = await run('node', [new URL('../../fixtures/iso-tz-probe.mjs', import.meta.url).pathname], { env: NEW_YORK });
    const p = JSON.parse(stdout) as { tz: string; localParse: number; fields: number[]; scannerAccepts: boolean[]; api: number[]; kafka: number[] };
    // The time zone took effect: Date.parse alone reads the offset-less string as New York time (5 h later in UTC).
    expect(p.tz).toBe('America/New_York');
    expect(p.localParse).toBe(Date.UTC(2024, 0, 2, 14, 30));
    expect(p.fields).toEqual(EXPECTED);
    expect(p.scannerAccepts.every((a) => a === false)).toBe(true);
    const sorted = [...EXPECTED].sort((a, b) => a - b);
    expect(p.api).toEqual(sorted);
    expect(p.kafka).toEqual(sorted);
  });

  it('`sabre run` over a file gives the same windows in New York as in UTC', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, '{"key":"a","ts":"2024-01-02T09:30:00.400","value":1}\n{"key":"a","ts":"2024-01-02 09:30:00.900","value":2}\n');
    const windows = async (env: NodeJS.ProcessEnv, name: string): Promise<unknown[]> => {
      const out = join(dir, `${name}.ndjson`);
      await run('node', ['bin/sabre.js', 'run', '--source', `file:${input}`, '--sink', `file:${out}`, '--agg', 'count,sum',
        '--window', 'tumbling:1s', '--http-port', '0', '--progress', '0'], { env });
      return readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    };
    const expected = [{ key: 'a', start: Date.UTC(2024, 0, 2, 9, 30), end: Date.UTC(2024, 0, 2, 9, 30, 1), count: 2, sum: 3, fire: 'watermark' }];
    expect(await windows(NEW_YORK, 'ny')).toEqual(expected);
    expect(await windows({ ...process.env, TZ: 'Asia/Kolkata' }, 'kolkata')).toEqual(expected);
  });
});
