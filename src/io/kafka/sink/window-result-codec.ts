import * as flatbuffers from 'flatbuffers';
import { WindowResult } from '../../../codec/flat/generated/sabre/fb/window-result.js';
import { UserAggregate } from '../../../codec/flat/generated/sabre/fb/user-aggregate.js';
import { Fire } from '../../../codec/flat/generated/sabre/fb/fire.js';

const BUILT_IN = new Set(['count', 'sum', 'min', 'max', 'avg']);
const FIRE_OF: Record<string, Fire> = { watermark: Fire.Watermark, early: Fire.Early, late: Fire.Late };
const FIRE_NAME = ['watermark', 'early', 'late'] as const;

/**
 * A result line (`{"key":…,"start":…,"end":…,<aggregates>,"fire":…}`) as a
 * flatbuffers `sabre.fb.WindowResult` (src/codec/flat/result.fbs). One Builder is
 * reused; each call returns a fresh copy of the bytes.
 */
export class WindowResultEncoder {
  private readonly b = new flatbuffers.Builder(256);

  constructor(private readonly aggregates: readonly string[]) {}

  encode(result: Record<string, unknown>): Uint8Array {
    const b = this.b;
    b.clear();
    // Optional scalars: flatc 2.0.8's TS code still passes 0 as their default, so
    // the builder would skip a sum or min of 0 and it would read back as absent.
    // Write every field we add (clear() resets this flag).
    b.forceDefaults(true);
    const key = b.createString(String(result.key));
    const users: number[] = [];
    for (const a of this.aggregates) {
      if (BUILT_IN.has(a)) continue;
      const name = b.createString(a);
      const json = b.createString(JSON.stringify(result[a] ?? null));
      users.push(UserAggregate.createUserAggregate(b, name, json));
    }
    const userVec = users.length > 0 ? WindowResult.createUserVector(b, users) : 0;
    WindowResult.startWindowResult(b);
    WindowResult.addKey(b, key);
    WindowResult.addStart(b, Number(result.start));
    WindowResult.addEnd(b, Number(result.end));
    for (const a of this.aggregates) {
      const v = result[a];
      if (typeof v !== 'number') continue;
      switch (a) {
        case 'count': WindowResult.addCount(b, v); break;
        case 'sum': WindowResult.addSum(b, v); break;
        case 'min': WindowResult.addMin(b, v); break;
        case 'max': WindowResult.addMax(b, v); break;
        case 'avg': WindowResult.addAvg(b, v); break;
      }
    }
    WindowResult.addFire(b, FIRE_OF[String(result.fire)] ?? Fire.Watermark);
    if (userVec) WindowResult.addUser(b, userVec);
    b.finish(WindowResult.endWindowResult(b));
    return b.asUint8Array().slice();
  }
}

/** The inverse, for consumers and tests: the object the JSON line parses to (same fields; user aggregates last). */
export function decodeWindowResult(bytes: Uint8Array): Record<string, unknown> {
  const r = WindowResult.getRootAsWindowResult(new flatbuffers.ByteBuffer(bytes));
  const out: Record<string, unknown> = { key: r.key(), start: r.start(), end: r.end() };
  const builtIn: [string, number | null][] = [['count', r.count()], ['sum', r.sum()], ['min', r.min()], ['max', r.max()], ['avg', r.avg()]];
  for (const [name, v] of builtIn) if (v !== null) out[name] = v;
  const u = new UserAggregate();
  for (let i = 0; i < r.userLength(); i++) {
    r.user(i, u);
    out[u.name() ?? ''] = JSON.parse(u.json() ?? 'null');
  }
  out.fire = FIRE_NAME[r.fire()] ?? 'watermark';
  return out;
}
