// The file/stdin source reads most lines in place (JsonFieldScanner over the bytes) and the rest through
// JSON.parse. Whichever way a line goes, its key must land in the same window, lines split across the
// stream's 64 KiB chunks must read whole, and the checkpoint position (bytesConsumed) must count bytes.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type WindowResult } from '../../../dist/src/index.js';
import { NdjsonSource } from '../../../dist/src/io/sources/ndjson-source.js';
import { tmpDir } from '../../helpers/engine-run.js';

describe('NDJSON file source: in-place and parsed lines agree', () => {
  it('one window per key and second whatever form its lines take, across chunk boundaries, CRLF and invalid UTF-8', async () => {
    const dir = tmpDir();
    const input = join(dir, 'in.ndjson');
    // Forms of the same key: plain (in place), a number, an escape, extra whitespace (all parsed or scanned).
    const forms = (k: number, ts: number, v: number): string[] => [
      `{"key":"${k}","ts":${ts},"value":${v}}`,
      `{"key":${k},"ts":${ts},"value":${v}}`,
      `{"key":"\\u00${String(k).charCodeAt(0).toString(16)}${String(k).slice(1)}","ts":${ts},"value":${v}}`,
      ` { "value" : ${v} , "ts" : ${ts}, "key":"${k}" }\r`,
    ];
    const lines: string[] = [];
    const expected = new Map<string, { count: number; sum: number }>();
    for (let i = 0; i < 20_000; i++) {
      const k = 10 + (i % 37);
      const ts = 1000 + i; // 20 s of event time, in order
      const f = forms(k, ts, i % 5);
      lines.push(f[i % 4]!);
      const id = `${k}@${Math.floor(ts / 1000) * 1000}`;
      const e = expected.get(id) ?? { count: 0, sum: 0 };
      e.count++;
      e.sum += i % 5;
      expected.set(id, e);
      if (i % 1000 === 0) lines.push('', '   ', '{"key":"\u00e9","ts":' + ts + ',"value":1, "x":"\\ud83d\\ude00"}');
    }
    for (let i = 0; i < 20_000; i += 1000) {
      const ts = 1000 + i;
      const id = `é@${Math.floor(ts / 1000) * 1000}`;
      const e = expected.get(id) ?? { count: 0, sum: 0 };
      e.count++;
      e.sum += 1;
      expected.set(id, e);
    }
    const text = lines.join('\n') + '\n';
    // Invalid UTF-8 inside a string: dead-lettered or read, but never a changed byte count.
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a])]);
    expect(bytes.length).toBeGreaterThan(4 * 65_536); // several chunks: lines straddle their edges
    writeFileSync(input, bytes);

    const results: WindowResult[] = [];
    const engine = createEngine({ source: `file:${input}`, sink: 'null', lateOutput: 'null', deadLetter: 'null', window: 'tumbling:1s',
      agg: 'count,sum', partitions: 4, workers: 1, progress: 0, httpPort: 0 });
    engine.onResult((r) => results.push(r));
    await engine.start();
    const summary = await engine.done;
    const got = new Map(results.map((r) => [`${r.key}@${r.start}`, { count: r.count as number, sum: r.sum as number }]));
    expect(results).toHaveLength(expected.size); // one firing per (key, window): no key split in two
    expect(got).toEqual(expected);
    expect(summary.recordsIn).toBe(20_020);

    // The position a checkpoint records is the file's byte length once every line is consumed.
    const src = NdjsonSource.file(input, { keyField: 'key', timeField: 'ts', valueField: 'value', needsValue: true });
    const written: number[] = [];
    const writer = {
      io: new Float64Array(4),
      writeKeyBytes: () => { written.push(1); return -1; },
      writeRecord: () => { written.push(1); return -1; },
      publishAll: () => {},
    };
    await src.run({ writer, deadLetter: () => {} } as never);
    expect(src.position()).toEqual({ bytes: bytes.length, lines: lines.length + 1 });
    expect(written.length).toBe(20_020);
  });
});
