// Writes jobs/data/card-profiles.ndjson, the card-profile table of the
// card-fraud example (jobs/card-fraud.ts): one row per card CARD0..CARD9999
// (the generator's cards at its default --keys), drawn from a fixed seed so
// the file is the same on every run. `limit` is what a card may spend in a
// minute before the example flags it. The generator sends half its
// transactions to the first tenth of the cards (src/io/generator/
// job-records.ts); those are business cards here, with limits to match, so
// the over-limit rule flags outliers rather than every busy card.
//
//   node scripts/make-card-profiles.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CARDS = 10_000;
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'BR', 'IN', 'NG'];
/** The generator's busy cards: the first tenth. */
const BUSY = CARDS / 10;
/** Per tier: its share (per mille, cumulative) and the range and step of its limit. */
const TIERS = [
  { tier: 'standard', upTo: 700, limit: [40_000, 80_000, 5_000] },
  { tier: 'gold', upTo: 920, limit: [60_000, 100_000, 10_000] },
  { tier: 'platinum', upTo: 1000, limit: [100_000, 200_000, 20_000] },
];
const BUSINESS = { tier: 'platinum', limit: [350_000, 600_000, 50_000] };

let x = 20_241_207;
/** xorshift32, an unsigned draw in [0, n). */
function draw(n) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return Math.floor(((x >>> 0) / 2 ** 32) * n);
}

const lines = [];
for (let k = 0; k < CARDS; k++) {
  const p = draw(1000);
  const t = k < BUSY ? BUSINESS : TIERS.find((tier) => p < tier.upTo);
  const [lo, hi, step] = t.limit;
  const limit = lo + step * draw((hi - lo) / step + 1);
  lines.push(JSON.stringify({ card: `CARD${k}`, tier: t.tier, homeCountry: COUNTRIES[draw(COUNTRIES.length)], limit }));
}
const out = fileURLToPath(new URL('../jobs/data/card-profiles.ndjson', import.meta.url));
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${lines.length} profiles to ${out}`);
