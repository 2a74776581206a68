import { job, generator, kafka, file, stdin, sliding, count, sum, countDistinct, toKafka, tumbling, first, last, max, min, valueState, fileTable } from '../../src/job/index.js';
export const j1 = job({ source: kafka('card-txns', { time: 'at', fields: { card: 'string', amount: 'number', merchant: 'string', status: 'string', at: 'time' } }), sink: toKafka('alerts') })
  .filter((t) => t.status !== 'test')
  .keyBy('card')
  .window(sliding('10m', '1m'))
  .aggregate({ n: count(), total: sum('amount'), merchants: countDistinct('merchant') })
  .filter((w) => w.n > 20 || w.merchants > 8 || w.card === 'x');
export const j2 = job({ source: generator('market') })
  .keyBy('symbol').window(tumbling('1s'))
  .aggregate({ open: first('price'), close: last('price'), high: max('price'), low: min('price'), vwapNum: sum((t: { price: number; qty: number }) => t.price * t.qty), vol: sum('qty') })
  .map((b) => ({ symbol: b.symbol, vwap: b.vwapNum / b.vol, open: b.open }));
// @ts-expect-error status is a string: sum('status') must not compile
export const bad = job({ source: generator('card-txns') }).keyBy('card').window(tumbling('1s')).aggregate({ s: sum('status') });
export const j3 = job({ source: generator('card-txns') }).lookup(fileTable<{ tier: string }>('p.ndjson', { key: 'card' }), { on: 'card', as: 'profile' })
  .filter((t) => t.profile?.tier === 'gold');
export const j4 = job({ source: generator('card-txns') }).keyBy('card').process({
  state: { declines: valueState(0) },
  onRecord(t, ctx) { if (t.status === 'declined') ctx.state.declines.set(ctx.state.declines.get() + 1); else if (ctx.state.declines.get() >= 3) ctx.emit({ card: t.card }); },
});
export const j5 = job({ source: generator('market') }).keyBy('symbol').window(tumbling('1s'))
  .aggregate({ open: first('price'), side: last('side') }).map((b) => { const o: number = b.open; const s: string = b.side; return { o, s }; });
// @ts-expect-error no field "amout" (a typo) on card transactions
export const typo = job({ source: generator('card-txns') }).keyBy('card').window(tumbling('1s')).aggregate({ s: sum('amout') });
// @ts-expect-error an aggregate's output has its spec's type: n is a number, not a string
export const wrongOut = job({ source: generator('card-txns') }).keyBy('card').window(tumbling('1s')).aggregate({ n: count() }).map((w) => { const s: string = w.n; return { s }; });
// @ts-expect-error keyBy names a field of the record
export const badKey = job({ source: generator('market') }).keyBy('card');
// @ts-expect-error a filter returns a boolean about the record's own fields
export const badFilter = job({ source: generator('market') }).filter((t) => t.card === 'x');
// An expression aggregate's parameter is the record type, inferred from .aggregate({...}): no annotation needed.
export const inferred = job({ source: generator('market') }).keyBy('symbol').window(tumbling('1s'))
  .aggregate({ pv: sum((t) => t.price * t.qty), hi: max((t) => t.price) }).map((b) => ({ v: b.pv / b.hi }));
// @ts-expect-error the expression reads a field the record does not have
export const inferredTypo = job({ source: generator('market') }).keyBy('symbol').window(tumbling('1s')).aggregate({ pv: sum((t) => t.prise) });
// A source without fields (inferred at run time): records are untyped, so any field and any use compiles.
export const untyped = job({ source: file('txns.ndjson', { time: 'at' }) })
  .filter((t) => t.amount > 100)
  .keyBy('card').window(tumbling('1s'))
  .aggregate({ total: sum('amount'), pv: sum((t) => t.price * t.qty), n: count() })
  .map((w) => ({ card: w.card, avg: w.total / w.n }));
export const untypedKafka = job({ source: kafka('t', { time: 'ts' }) }).keyBy(['a', 'b']).process({ onRecord(r, ctx) { ctx.emit({ x: r.anything }); } });
export const untypedStdin = job({ source: stdin({ time: 'at' }) }).filter((r) => r.whatever > 1).keyBy('k').window(tumbling('1s')).aggregate({ n: count() });
// @ts-expect-error with fields declared, the time field is one of them
export const badTime = job({ source: file('f', { time: 'ts', fields: { at: 'time' } }) });
