// A job's NDJSON input (--job with file:PATH): every line goes JSON.parse →
// RowProjector → writeRow. Bad fields are dead-lettered with their reason and
// line, the rest keep coming, through full rings as well.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NdjsonSource } from '../../../../dist/src/io/sources/ndjson-source.js';
import { RowProjector } from '../../../../dist/src/codec/row-writer.js';
import { rowLayout } from '../../../../dist/src/codec/row-layout.js';
import { normalizeFields } from '../../../../dist/src/job/fields.js';
import { tmpDir } from '../../../helpers/engine-run.js';
import { decodeRow, rig, runDraining, type Frame } from '../../../helpers/ring-frames.js';

const fields = normalizeFields({ card: 'string', amount: 'number', at: 'time', city: { type: 'string', path: 'geo.city', optional: true } }, 'test');

interface DeadLetter { raw: string; fault: string; detail: string; where: string }

async function run(lines: string[], capacity: number): Promise<{ frames: Frame[]; dead: DeadLetter[]; src: NdjsonSource }> {
  const path = join(tmpDir(), 'in.ndjson');
  writeFileSync(path, lines.join('\n') + '\n');
  const r = rig(2, { capacity, maxBatch: 8 });
  const extractor = new RowProjector(rowLayout(fields), 'at', { kind: 'fields', fields: ['card'], where: 'w' });
  const src = NdjsonSource.file(path, { keyField: 'key', timeField: 'ts', valueField: 'value', needsValue: true, extractor });
  const dead: DeadLetter[] = [];
  const frames = await runDraining(r, () => src.run({
    writer: r.writer, deadLetter: (raw: string, fault: string, detail: string, where: string) => dead.push({ raw, fault, detail, where }),
  } as never));
  return { frames, dead, src };
}

describe('NDJSON source with a job RowProjector', () => {
  it('dead-letters bad fields with reason bad-field (and the other reasons) and keeps going; good rows arrive whole', async () => {
    const lines: string[] = [];
    const good = new Map<string, { amount: number; at: number; city: string | null }>();
    const bad = new Map<number, string>(); // line number → fault
    for (let i = 0; i < 3000; i++) {
      const card = `C${i}`;
      const at = 1_700_000_000_000 + i;
      switch (i % 10) {
        case 3: lines.push(JSON.stringify({ card, amount: 'lots', at })); bad.set(lines.length, 'bad-field'); break;
        case 5: lines.push(JSON.stringify({ card, at })); bad.set(lines.length, 'bad-field'); break;
        case 7: lines.push(JSON.stringify({ amount: 1, at })); bad.set(lines.length, 'missing-key'); break;
        case 8: lines.push(JSON.stringify({ card, amount: 1, at: 'later' })); bad.set(lines.length, 'bad-time'); break;
        case 9: lines.push('{"card": '); bad.set(lines.length, 'invalid-json'); break;
        default: {
          const city = i % 2 === 0 ? `Zürich ${i}` : null;
          // A line the byte scanner would have taken for the built-in job: here it must be parsed for the job's fields.
          lines.push(JSON.stringify({ key: 'x', ts: 1, value: 2, card, amount: i / 4, at: new Date(at).toISOString(), geo: city ? { city } : {} }));
          good.set(card, { amount: i / 4, at, city });
        }
      }
      if (i % 500 === 0) lines.push('');
    }
    const { frames, dead, src } = await run(lines, 4096);
    expect(src.pauses).toBeGreaterThan(0); // small rings: the source waited for space and went on
    expect(frames).toHaveLength(good.size);
    expect(src.records).toBe(good.size);
    const layout = rowLayout(fields);
    for (const f of frames) {
      const row = decodeRow(f.body, layout);
      const want = good.get(row.key)!;
      expect(row.values).toEqual({ card: row.key, amount: want.amount, at: want.at, city: want.city });
      expect(f.time).toBe(want.at);
      good.delete(row.key);
    }
    expect(good.size).toBe(0); // each good line exactly once
    expect(dead.map((d) => [Number(d.where.slice(d.where.lastIndexOf(':') + 1)), d.fault])).toEqual([...bad.entries()]);
    const amountBad = dead.find((d) => d.fault === 'bad-field' && d.raw.includes('lots'))!;
    expect(amountBad.detail).toBe('field "amount" must be a finite number, got the string "lots"');
    expect(amountBad.where).toMatch(/^file:.*in\.ndjson:\d+$/);
    expect(src.position().lines).toBe(lines.length);
  });
});
