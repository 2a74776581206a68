import * as flatbuffers from 'flatbuffers';
import { SIM_EPOCH_MS, TradeModel, type GeneratorKind } from './trade-model.js';
import { Record as FbRecord } from '../../codec/flat/generated/sabre/fb/record.js';
import { Attribute } from '../../codec/flat/generated/sabre/fb/attribute.js';

export interface TradeMessagesOptions {
  kind: GeneratorKind;
  seed: number;
  keys: number;
  disorder: number;
  eventsPerMs: number;
  format: 'json' | 'flatbuffers';
  /** > 0: event time is the intended send time at this rate from startWallMs (docs/SEMANTICS.md). */
  rate: number;
  startWallMs: number;
}

/** Same as `sabre generate` (src/cli/generate-command.ts). */
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'BR', 'IN', 'NG'];

/**
 * The generator's records (docs/SEMANTICS.md) as Kafka messages: key = the
 * record key, value = the `sabre generate` JSON line (without the newline) or
 * a flatbuffers `sabre.fb.Record` with the same attributes. Call next() for
 * i = 0, 1, 2, … in order (the model draws as it goes).
 */
export class TradeMessages {
  private readonly model: TradeModel;
  private readonly b = new flatbuffers.Builder(256);
  key = '';
  ts = 0;
  value = 0;

  constructor(readonly opts: TradeMessagesOptions) {
    this.model = new TradeModel({ kind: opts.kind, seed: opts.seed, keys: opts.keys, disorder: opts.disorder, eventsPerMs: opts.eventsPerMs });
  }

  /** Draw record i; key/ts/value are left in the fields; returns the message value. */
  next(i: number): string | Buffer {
    const m = this.model;
    const o = this.opts;
    m.draw();
    this.ts = o.rate > 0
      ? o.startWallMs + Math.floor((i * 1000) / o.rate) - m.jitter
      : SIM_EPOCH_MS + Math.floor(i / o.eventsPerMs) - m.jitter;
    this.key = m.keyString(m.keyIndex);
    this.value = m.value;
    const trades = o.kind === 'trades';
    if (o.format === 'json') {
      return trades
        ? `{"key":"${this.key}","ts":${this.ts},"value":${this.value},"qty":${(m.attr % 500) + 1},"side":"${m.attr & 1 ? 'sell' : 'buy'}"}`
        : `{"key":"${this.key}","ts":${this.ts},"value":${this.value},"merchant":"M${m.attr % 997}","country":"${COUNTRIES[m.attr % COUNTRIES.length]}"}`;
    }
    const b = this.b;
    b.clear();
    b.forceDefaults(true); // a value of 0 must not read back as absent
    const attrs = trades
      ? [number(b, 'qty', (m.attr % 500) + 1), text(b, 'side', m.attr & 1 ? 'sell' : 'buy')]
      : [text(b, 'merchant', `M${m.attr % 997}`), text(b, 'country', COUNTRIES[m.attr % COUNTRIES.length]!)];
    const attrVec = FbRecord.createAttributesVector(b, attrs);
    const key = b.createString(this.key);
    FbRecord.startRecord(b);
    FbRecord.addKey(b, key);
    FbRecord.addEventTime(b, this.ts);
    FbRecord.addValue(b, this.value);
    FbRecord.addAttributes(b, attrVec);
    b.finish(FbRecord.endRecord(b));
    return Buffer.from(b.asUint8Array());
  }
}

function number(b: flatbuffers.Builder, name: string, v: number): number {
  const n = b.createString(name);
  Attribute.startAttribute(b);
  Attribute.addName(b, n);
  Attribute.addNumber(b, v);
  return Attribute.endAttribute(b);
}

function text(b: flatbuffers.Builder, name: string, v: string): number {
  const n = b.createString(name);
  const t = b.createString(v);
  Attribute.startAttribute(b);
  Attribute.addName(b, n);
  Attribute.addText(b, t);
  return Attribute.endAttribute(b);
}
