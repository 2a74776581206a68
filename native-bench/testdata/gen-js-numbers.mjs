// Writes js-numbers.txt: "<hex bits of a double> <JSON.stringify(x)>" per line,
// the vectors the Rust and Go number formatters are tested against.
// Run: node native-bench/testdata/gen-js-numbers.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const f = new Float64Array(1);
const u = new BigUint64Array(f.buffer);
let s = 12345;
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
const values = [];
// Random bit patterns: every exponent range.
for (let i = 0; i < 1000; i++) {
  u[0] = (BigInt(rnd()) << 32n) | BigInt(rnd());
  values.push(f[0]);
}
// What the job produces: prices, running sums of prices, averages, window bounds.
let sum = 0;
for (let i = 0; i < 600; i++) {
  const price = 100 + (rnd() % 10000) / 100;
  sum += price;
  values.push(price, sum, sum / (i + 1), 1700000000000 + (rnd() % 100000) * 1000);
}
// Layout boundaries.
for (let e = -30; e <= 30; e++) {
  for (const m of [1, 1.5, 9.999999999999999, 123456789.123]) values.push(m * 10 ** e, -m * 10 ** e);
}
values.push(0, -0, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 53 + 2, 2 ** 60, 1e21, 1e21 - 65536, 999999999999999900000);
const lines = values.map((x) => { f[0] = x; return `${u[0].toString(16).padStart(16, '0')} ${JSON.stringify(x)}`; });
writeFileSync(fileURLToPath(new URL('./js-numbers.txt', import.meta.url)), lines.join('\n') + '\n');
console.log(`wrote ${lines.length} vectors`);
