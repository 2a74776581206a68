// The pipeline-jobs section of docs/BENCHMARKS.md, from the newest full
// `bench:pipeline` result (bench/pipeline.ts). Used by bench-report.mjs; like
// it, nothing here is measured: it formats what the JSON holds.

const JOBS = {
  bars: '`bench/jobs/bars.ts`: market trades (1000 symbols, 100 records per ms of event time) → tumbling 1 s per symbol, open/close (first/last), high/low, volume, Σ price·qty → map adds VWAP',
  fraud: '`bench/jobs/fraud.ts`: card transactions (2000 cards, 2 per ms) → drop status test → sliding 10 s every 1 s per card, count, Σ amount, distinct merchants, max amount → keep windows of more than 60',
  'card-fraud': 'the shipped example `jobs/card-fraud.ts` whole (10,000 cards, 10 per ms): drop status test → two branches keyed by card: sliding 1 min every 10 s (count, Σ amount, distinct merchants, max amount, Σ declines) → lookup of the card\'s profile (`jobs/data/card-profiles.ndjson`) → every window to the `features` sink → decline-rate / over-limit alerts; and a process function (list state, an event-time clean-up timer per decline) alerting on three declines then an approval within 5 min. Baseline `bench/baselines/example-card-fraud.ts`: the profiles in a `Map`, the rule as an array of decline times per card',
  'market-bars': 'the shipped example `jobs/market-bars.ts` whole (100 symbols, 10 per ms): two branches keyed by symbol: tumbling 1 s OHLC, volume, Σ price·qty, count → map to the bar with VWAP → every bar to the `bars` sink → price-jump alerts; and a process function (map and value state, an event-time timer per second) taking each second\'s close, 5 s and 20 s moving averages, alerting on a crossover. Baseline `bench/baselines/example-market-bars.ts`',
  core: 'the flag-only core job (`bench:core`\'s: `--window tumbling:1s --agg count,sum,min,max,avg`, 10k keys, 1000 records per ms)',
};

/** Lines of the section for result `d`; `h` holds bench-report's formatters. */
export function pipelineSection(d, { M, mmm, short }) {
  const m = d.machine;
  const us = (v) => (v == null || !Number.isFinite(v) ? '–' : v.toFixed(2));
  const x2 = (v) => (v == null || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
  // Runs before start-up was measured apart have none.
  const up = (f) => (f.startup ? f.startup.wallSeconds.median.toFixed(2) : '–');
  const out = [
    '## Pipeline jobs (`npm run bench:pipeline`)', '',
    'Job modules (`sabre run --job`) on the built-in generator against the same logic written plainly in single-threaded Node '
      + '(`bench/baselines/pipeline-*.ts`, `example-*.ts`: a `Map` of open windows per window end and key, one object per record, the watermark '
      + 'max event time − the job\'s out-of-orderness, windows fired in end order once it passes their end, END firing the rest, '
      + 'every output serialized to its NDJSON line as Sabre\'s workers do for any sink — runs before 14:00 on 2026-12-07 only counted them). '
      + 'The baseline draws the job generator\'s record sequence for the job\'s own settings (`src/io/generator/job-records.ts`), '
      + 'so both compute the same windows: the output counts below are checked equal in every run (per output for the example jobs, whose alerts go to the default sink and every window or bar to a named one; the baseline\'s single global watermark stands in for Sabre\'s per-partition ones, which computes the same outputs while no record is late, and none is), and the bench-smoke test checks '
      + 'the outputs themselves are the same objects. Each run is a process of its own (`bench/pipeline-run.ts`), the configurations '
      + 'alternating within each round; Sabre runs with the null sink, P = 8 partitions, W = 1 and 2 workers.', '',
    '**M rec/s** is wall-clock throughput from `createEngine()` to the end of the run (worker start-up included) or of the baseline\'s loop. '
      + 'Runs from 2026-12-07 15:45 UTC on are sustained (≥ 8 s a Sabre run: 60M records for bars, 6M for fraud and card-fraud, 45M for market-bars, 150M for core), '
      + 'so start-up and JIT warm-up weigh little; **start-up s** is measured apart, the wall time of a whole run of 1000 records (median over rounds). '
      + '**CPU µs/rec** is `process.cpuUsage()` (user + system, every thread of the process: main thread, workers, GC and compiler '
      + 'threads) over the same span, per record: what a record costs the machine, whatever the parallelism. The ratios are of '
      + 'medians: throughput Sabre ÷ baseline (> 1: Sabre faster), CPU per record Sabre ÷ baseline (> 1: Sabre spends more).', '',
    `Run of ${d.date.slice(0, 16).replace('T', ' ')} UTC, commit \`${m.commit}\`, ${d.repeat} rounds, median (min – max): `
      + `a shared ${m.cores}-core VM (${m.cpu}, Node ${m.node}) whose 1-minute load average went ${d.loadAvgAtStart} → ${m.loadAvg1m} `
      + `during the run${d.loadAvgAtStart > m.cores || m.loadAvg1m > m.cores ? ' — other processes held cores, so throughput is low and noisy (CPU per record suffers less)' : ''}.`, '',
    `**Bound on ${m.cores} cores** is the records/s Sabre's CPU per record allows with all ${m.cores} cores busy (${m.cores} ÷ CPU per record) `
      + `÷ the baseline's records/s (medians). A throughput ratio near it means Sabre used the cores it had; a bound below the target `
      + `means its CPU per record, not its parallelism, misses it. (The baseline's one thread uses more than one core's worth: V8 marks `
      + `and sweeps on helper threads, so its CPU per record × records/s is above 1.)`, '',
    `| job | records | run | M rec/s | CPU µs/rec | outputs | start-up s | throughput ÷ baseline | CPU/rec ÷ baseline | bound on ${m.cores} cores |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const j of d.jobs) {
    const b = j.baselineNode;
    // Outputs per sink where a job has named sinks (`default:N bars:M`).
    const split = (b.sinks ?? []).filter((x) => x.includes(' ')).map((x) => ` (${x})`).join('');
    out.push(`| ${j.job} | ${short(j.records)} | single-threaded Node | ${mmm(b.recordsPerSec)} | ${mmm(b.cpuMicrosPerRecord, us)} | ${b.results.join(' / ')}${split} | ${up(b)} | – | – | – |`);
    for (const s of j.sabre) {
      const r = j.ratios.find((x) => x.workers === s.workers);
      // Derived from the medians here, so runs from before the bench printed it get it too.
      const bound = m.cores / (s.cpuMicrosPerRecord.median * 1e-6) / b.recordsPerSec.median;
      out.push(`| | | Sabre W=${s.workers} P=${s.partitions} | ${mmm(s.recordsPerSec)} | ${mmm(s.cpuMicrosPerRecord, us)} | ${s.results.join(' / ')} | ${up(s)} | ${x2(r?.throughput)} | ${x2(r?.cpuPerRecord)} | ${x2(bound)} |`);
    }
    if (j.error) out.push(`| **${j.job}: ${j.error}** | | | | | | | | | |`);
  }
  out.push('', ...d.jobs.filter((j) => JOBS[j.job]).map((j) => `- **${j.job}**: ${JOBS[j.job]}.`), '');
  return out;
}
