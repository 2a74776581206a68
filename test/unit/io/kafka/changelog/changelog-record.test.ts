// The changelog message format: a unit's state cut into chunks and a head
// comes back whole through decodeHead + assembleUnit, for any size (empty,
// exactly a chunk, one byte over); shrinking tombstones the chunks no longer
// used; anything doctored (magic, version, a byte of the state, a chunk of
// another checkpoint, a chunk missing) is ERR_CHANGELOG_CORRUPT saying what.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assembleUnit, changelogMessages, chunkCount, CHUNK_BYTES, decodeChunk, decodeHead, parseChangelogKey,
  type ChangelogMessage, type UnitState,
} from '../../../../../dist/src/io/kafka/changelog/changelog-record.js';
import { SabreError } from '../../../../../dist/src/errors.js';

const unit = (partition: number, checkpoint: number, state: Uint8Array): UnitState =>
  ({ partition, checkpoint, job: 'job-fp-é', sourceOffset: String(1000 + checkpoint), state });

/** What a reader does: the head, then each chunk by key (the latest value of each key wins). */
function restore(messages: ChangelogMessage[], partition: number): UnitState {
  const values = new Map<string, Buffer | null>();
  for (const m of messages) values.set(m.key, m.value);
  const head = decodeHead(values.get(String(partition))!);
  return assembleUnit(head, (i) => values.get(`${partition}/${i}`) ?? undefined);
}

function corruptCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SabreError);
    return `${(e as SabreError).code}: ${(e as Error).message}`;
  }
  return 'no error';
}

describe('changelog records', () => {
  it('cut a state into chunks and a head, keyed p/i and p, all to partition p, and assemble it back', () => {
    for (const size of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17]) {
      const u = unit(5, 42, randomBytes(size));
      const ms = changelogMessages(u);
      const n = chunkCount(size);
      expect(ms.map((m) => m.key)).toEqual([...Array.from({ length: n }, (_, i) => `5/${i}`), '5']);
      expect(ms.every((m) => m.partition === 5 && m.value !== null)).toBe(true);
      for (const m of ms.slice(0, n)) expect(m.value!.length).toBeLessThanOrEqual(CHUNK_BYTES + 64);
      const { state, ...rest } = restore(ms, 5);
      expect(rest).toEqual({ partition: 5, checkpoint: 42, job: u.job, sourceOffset: u.sourceOffset });
      // Buffer.equals: toEqual walks a large array element by element.
      expect(Buffer.from(state).equals(u.state)).toBe(true);
      expect(decodeHead(ms[n]!.value!)).toMatchObject({ partition: 5, checkpoint: 42, chunks: n, bytes: size });
    }
  });

  it('round-trip any state, checkpoint id and offset (property)', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 3 * 1024 }), fc.nat({ max: 2 ** 40 }), fc.nat({ max: 4095 }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), fc.string(),
      (state, checkpoint, partition, offset, job) => {
        const u = { partition, checkpoint, job, sourceOffset: offset.toString(), state };
        expect(restore(changelogMessages(u), partition)).toEqual(u);
      }), { numRuns: 200 });
  });

  it('tombstone the chunk keys a smaller state no longer uses', () => {
    const ms = changelogMessages(unit(2, 9, randomBytes(CHUNK_BYTES + 5)), 5);
    expect(ms.map((m) => [m.key, m.value === null])).toEqual([
      ['2/0', false], ['2/1', false], ['2', false], ['2/2', true], ['2/3', true], ['2/4', true],
    ]);
    // An older, larger state under the same keys: the tombstones leave only the new chunks.
    const old = changelogMessages(unit(2, 8, randomBytes(5 * CHUNK_BYTES)));
    const latest = new Map<string, Buffer | null>();
    for (const m of [...old, ...ms]) latest.set(m.key, m.value);
    expect([...latest].filter(([, v]) => v !== null).map(([k]) => k).sort()).toEqual(['2', '2/0', '2/1']);
    expect(restore([...old, ...ms], 2).checkpoint).toBe(9);
  });

  it('parse head and chunk keys, and nothing else', () => {
    expect(parseChangelogKey('7')).toEqual({ partition: 7, chunk: undefined });
    expect(parseChangelogKey('7/12')).toEqual({ partition: 7, chunk: 12 });
    for (const k of ['', 'x', '7/', '/1', '07', '7/01', '7/1/2', '-1']) expect(parseChangelogKey(k)).toBeUndefined();
  });

  it('refuse doctored values with ERR_CHANGELOG_CORRUPT naming the checkpoint and the fault', () => {
    const u = unit(3, 11, randomBytes(2 * CHUNK_BYTES + 100));
    const ms = changelogMessages(u);
    const head = ms[3]!.value!;
    const chunks = ms.slice(0, 3).map((m) => m.value!);
    const headOf = (mutate: (b: Buffer) => void): Buffer => { const b = Buffer.from(head); mutate(b); return b; };

    expect(corruptCode(() => decodeHead(headOf((b) => b.writeUInt32BE(0xdeadbeef, 0))))).toMatch(/^ERR_CHANGELOG_CORRUPT: .*bad magic/);
    expect(corruptCode(() => decodeHead(headOf((b) => b.writeUInt8(9, 4))))).toMatch(/^ERR_CHANGELOG_CORRUPT: format version 9/);
    expect(corruptCode(() => decodeHead(Buffer.from('hello')))).toMatch(/^ERR_CHANGELOG_CORRUPT: 5 bytes/);
    expect(corruptCode(() => decodeHead(chunks[0]!))).toMatch(/^ERR_CHANGELOG_CORRUPT: a chunk record under a head key/);
    expect(corruptCode(() => decodeChunk(head))).toMatch(/^ERR_CHANGELOG_CORRUPT: a head record under a chunk key/);

    const h = decodeHead(head);
    const flipped = Buffer.from(chunks[1]!);
    flipped[flipped.length - 1]! ^= 1;
    expect(corruptCode(() => assembleUnit(h, (i) => (i === 1 ? flipped : chunks[i])))).toMatch(/^ERR_CHANGELOG_CORRUPT: checkpoint 11: CRC-32/);
    expect(corruptCode(() => assembleUnit(h, (i) => (i === 1 ? undefined : chunks[i])))).toMatch(/^ERR_CHANGELOG_CORRUPT: checkpoint 11: chunk 1 of 3 is missing/);
    const older = changelogMessages(unit(3, 10, randomBytes(3 * CHUNK_BYTES)))[1]!.value!;
    expect(corruptCode(() => assembleUnit(h, (i) => (i === 1 ? older : chunks[i])))).toMatch(/checkpoint 11: chunk 1 is of checkpoint 10/);
    expect(corruptCode(() => assembleUnit(h, () => chunks[0]))).toMatch(/checkpoint 11: key 3\/1 holds chunk 0/);
    expect(corruptCode(() => assembleUnit(h, (i) => (i === 1 ? chunks[1]!.subarray(0, 100) : chunks[i])))).toMatch(/chunk 1 has 78 bytes/);
  });
});
