import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kafkaDecoder, recordBatchDecoders, RecordView } from '../../../../../dist/src/io/kafka/source/record-batch-decoder.js';

// Sabre's record batch decoder replaces kafkajs's inside kafkajs: every
// message it makes must read exactly like the one kafkajs would have made
// from the same bytes (offset, timestamp, key, value, headers, flags, batch
// context), and the Batch built from them must keep the same messages. The
// bytes are made by kafkajs's own RecordBatch encoder, the one its producer
// sends to brokers (the Kafka tests read real brokers' fetches end to end).

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch(o: Record<string, unknown>): Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: Record<string, unknown>) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { offset: number; canReadBytes(n: number): boolean };
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };

const ours = recordBatchDecoders.now;
const stock = recordBatchDecoders.kafkajs;

// Attributes (int16) sit at byte 21 of a batch: FirstOffset 8, Length 4, Epoch 4, Magic 1, CRC 4.
const ATTRIBUTES_AT = 21;

interface Rec {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | null>;
  offsetDelta: number;
  timestampDelta: number;
}

async function batchBytes(records: Rec[], o: { firstOffset?: string; firstTimestamp?: number; gzip?: boolean; setAttributes?: number } = {}): Promise<Buffer> {
  const encoded = await RecordBatch({
    compression: o.gzip ? Compression.GZIP : Compression.None,
    firstOffset: Long.fromValue(o.firstOffset ?? '0'),
    firstTimestamp: o.firstTimestamp ?? 1_700_000_000_000,
    maxTimestamp: (o.firstTimestamp ?? 1_700_000_000_000) + 5000,
    lastOffsetDelta: Math.max(0, ...records.map((r) => r.offsetDelta)),
    producerId: Long.fromValue('4242'),
    producerEpoch: 3,
    firstSequence: 17,
    records: records.map((r) => Record(r)),
  });
  const bytes = Buffer.from(encoded.buffer);
  if (o.setAttributes) bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_AT) | o.setAttributes, ATTRIBUTES_AT);
  return bytes;
}

/** A message as plain data, through the properties kafkajs users read. */
function plain(m: unknown): Record<string, unknown> {
  const x = m as Record<string, unknown>;
  const hex = (b: unknown): unknown => (b === null ? null : Buffer.isBuffer(b) ? `hex:${b.toString('hex')}` : Array.isArray(b) ? b.map(hex) : b);
  const headers = x.headers as Record<string, unknown>;
  return {
    offset: x.offset, timestamp: x.timestamp, key: hex(x.key), value: hex(x.value),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, hex(v)])),
    attributes: x.attributes, magicByte: x.magicByte, isControlRecord: x.isControlRecord, batchContext: x.batchContext,
  };
}

async function decodeAll(decode: typeof ours.batchDecoder, bytes: Buffer): Promise<unknown[]> {
  const d = new Decoder(bytes);
  const out: unknown[] = [];
  while (d.canReadBytes(49)) out.push(...(await decode(d as never)).records);
  return out;
}

const bytesArb = fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null, freq: 5 });
const recArb = fc.record({
  key: bytesArb,
  value: bytesArb,
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }),
    fc.oneof(fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), fc.array(fc.uint8Array({ maxLength: 4 }).map((a) => Buffer.from(a)), { minLength: 2, maxLength: 3 })),
    { maxKeys: 3 }),
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
});
const batchArb = fc.array(recArb, { minLength: 1, maxLength: 25 }).map((rs) => rs.map((r, i) => ({ ...r, offsetDelta: i })));

describe('Sabre record batch decoder', () => {
  it('is installed in this process', () => {
    expect(kafkaDecoder).toBe('sabre');
    expect(ours.batchDecoder).not.toBe(stock.batchDecoder);
  });

  it('reads every record like kafkajs: keys, tombstones, headers, offsets past 2^32, timestamps, gzip, flags', async () => {
    await fc.assert(fc.asyncProperty(batchArb, fc.constantFrom('0', '7', '5000000000', '9007194959773695'), fc.boolean(),
      fc.constantFrom(0, 0x08, 0x10, 0x30), async (records, firstOffset, gzip, flags) => {
        const bytes = await batchBytes(records, { firstOffset, gzip, setAttributes: flags });
        const mine = await decodeAll(ours.batchDecoder, bytes);
        const theirs = await decodeAll(stock.batchDecoder, bytes);
        expect(mine.length).toBe(records.length);
        expect(mine.every((m) => m instanceof RecordView)).toBe(true);
        expect(mine.map(plain)).toEqual(theirs.map(plain));
      }), { numRuns: 150 });
  });

  it('hands batches with offsets beyond exact doubles to kafkajs, with the same result', async () => {
    const records = [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: {}, offsetDelta: 0, timestampDelta: 0 }];
    const bytes = await batchBytes(records, { firstOffset: '9223372036854770000' });
    const mine = await decodeAll(ours.batchDecoder, bytes);
    expect(mine[0]).not.toBeInstanceOf(RecordView);
    expect((mine[0] as { offset: string }).offset).toBe('9223372036854770000');
    expect(mine.map(plain)).toEqual((await decodeAll(stock.batchDecoder, bytes)).map(plain));
  });

  it('raises kafkajs\'s partial-batch error for a batch cut short, as kafkajs does', async () => {
    const records = [0, 1, 2].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(30, i), headers: {}, offsetDelta: i, timestampDelta: i }));
    const one = await batchBytes(records);
    const cut = Buffer.concat([one, one.subarray(0, one.length - 10)]);
    const names = async (decode: typeof ours.batchDecoder): Promise<string> => decodeAll(decode, cut).then(() => 'none', (e: Error) => e.name);
    expect(await names(ours.batchDecoder)).toBe('KafkaJSPartialMessageError');
    expect(await names(stock.batchDecoder)).toBe('KafkaJSPartialMessageError');
  });

  it('refuses corrupt batches with a clear error instead of views past their bytes', async () => {
    const records = [0, 1, 2].map((i) => ({ key: Buffer.from('k'), value: Buffer.from('v'), headers: {}, offsetDelta: i, timestampDelta: i }));
    const good = await batchBytes(records);
    // Records start at 61 (57 bytes of batch header, then the int32 count); the first one's key length varint is at 65.
    const hugeCount = Buffer.from(good);
    hugeCount.writeInt32BE(1_000_000, 57);
    await expect(decodeAll(ours.batchDecoder, hugeCount)).rejects.toThrow(/1000000 records in .* bytes \(corrupt batch\)/);
    const longKey = Buffer.from(good);
    expect(longKey[65]).toBe(2); // zigzag(1): the key 'k'
    longKey[65] = 126; // zigzag(63): past the record
    await expect(decodeAll(ours.batchDecoder, longKey)).rejects.toThrow(/record 0's key or value runs past the record \(corrupt batch\)/);
    // Any damage to the records either fails like that or yields views inside the bytes.
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 61, max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (flips) => {
      const bad = Buffer.from(good);
      for (const [i, v] of flips) bad[i] = v;
      const views = await decodeAll(ours.batchDecoder, bad).catch((e: Error) => {
        expect(e.message).toMatch(/corrupt batch/);
        return [];
      });
      for (const v of views as RecordView[]) {
        expect(v.keyStart + Math.max(0, v.keyLength)).toBeLessThanOrEqual(v.bytes.length);
        expect(v.valueStart + Math.max(0, v.valueLength)).toBeLessThanOrEqual(v.bytes.length);
      }
    }), { numRuns: 300 });
  });

  it('builds Batches that keep the same messages: fetched-offset filter, control records, aborted transactions', async () => {
    const recs = (n: number, key?: Buffer): Rec[] => Array.from({ length: n }, (_, i) => ({ key: key ?? Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: {}, offsetDelta: i, timestampDelta: i }));
    // Offsets 100-104 (transactional, producer 4242), 105 a control record (the abort marker), 106-108 plain.
    const bytes = Buffer.concat([
      await batchBytes(recs(5), { firstOffset: '100', setAttributes: 0x10 }),
      await batchBytes(recs(1, Buffer.from([0, 0, 0, 0])), { firstOffset: '105', setAttributes: 0x30 }),
      await batchBytes(recs(3), { firstOffset: '106' }),
    ]);
    for (const abortedTransactions of [[], [{ producerId: '4242', firstOffset: '100' }]]) {
      for (const fetchedOffset of ['0', '102', '106', '109']) {
        const part = async (decode: typeof ours.batchDecoder): Promise<unknown> => ({
          partition: 3, highWatermark: '109', abortedTransactions, messages: await decodeAll(decode, bytes),
        });
        const mine = new ours.Batch('t', fetchedOffset, (await part(ours.batchDecoder)) as never) as unknown as StockBatch;
        const theirs = new stock.Batch('t', fetchedOffset, (await part(stock.batchDecoder)) as never) as unknown as StockBatch;
        expect(mine).toBeInstanceOf(stock.Batch);
        expect(mine.messages.map(plain)).toEqual(theirs.messages.map(plain));
        expect(mine.messagesWithinOffset.map(plain)).toEqual(theirs.messagesWithinOffset.map(plain));
        for (const f of ['isEmpty', 'isEmptyIncludingFiltered', 'isEmptyControlRecord', 'firstOffset', 'lastOffset', 'offsetLag', 'offsetLagLow'] as const) {
          expect(mine[f](), `${f} at ${fetchedOffset}`).toEqual(theirs[f]());
        }
      }
    }
    // Sanity of the fixture itself: from offset 0 without aborts, 8 data messages (the control record is dropped).
    const all = new ours.Batch('t', '0', { partition: 3, highWatermark: '109', abortedTransactions: [], messages: await decodeAll(ours.batchDecoder, bytes) }) as unknown as StockBatch;
    expect(all.messages.map((m) => m.offset)).toEqual(['100', '101', '102', '103', '104', '106', '107', '108']);
  });
});

interface StockBatch {
  messages: { offset: string }[];
  messagesWithinOffset: unknown[];
  isEmpty(): boolean;
  isEmptyIncludingFiltered(): boolean;
  isEmptyControlRecord(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}
