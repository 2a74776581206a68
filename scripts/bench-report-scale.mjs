// The scale-out section of docs/BENCHMARKS.md, from the newest full
// `bench:scale` result (bench/scale.ts). Used by bench-report.mjs; like it,
// nothing here is measured: it formats what the JSON holds.

const ms = (v) => (v == null || !Number.isFinite(v) ? '–' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const mb = (v) => (v == null || !Number.isFinite(v) ? '–' : v < 1e6 ? `${(v / 1e3).toFixed(0)} kB` : `${(v / 1e6).toFixed(v < 1e7 ? 2 : 1)} MB`);
const k = (v) => (v == null || !Number.isFinite(v) ? '–' : `${(v / 1e3).toFixed(1)}k`);
const kmm = (s) => (s ? `${k(s.median)} (${k(s.min)} – ${k(s.max)})` : '–');
const f2 = (s) => (s ? `${s.median.toFixed(1)} (${s.min.toFixed(1)} – ${s.max.toFixed(1)})` : '–');
const NAME = (c) => (c.changelog ? `${c.members} member${c.members === 1 ? '' : 's'}, --changelog` : '1 process, no changelog (baseline)');

/** Lines of the section. */
export function scaleSection(d, { short }) {
  const out = [];
  const w = (...l) => out.push(...l);
  const t = d.throughput, j = d.job;
  w('## Scale-out (`npm run bench:scale`)', '',
    `\`sabre run\` processes as members of one consumer group (issue 16, \`--changelog auto\`): a ${j.topicPartitions}-partition input topic, `
    + `${j.window} windows, ${j.aggregates} aggregates, P=${j.partitionsPerMember} W=${j.workers} per member, a transactional Kafka sink, checkpoints every ${j.checkpointInterval}; `
    + `local single-node broker. Commit \`${d.machine.commit}\`, ${d.date.slice(0, 16).replace('T', ' ')} UTC, load average ${d.loadAvgAtStart} → ${d.machine.loadAvg1m} `
    + `on ${d.machine.cores} cores (the broker, the producer and the members themselves load the machine; a start above the core count means other processes shared the CPUs too). Whole run ${Math.round(d.wallSeconds)} s.`, '',
    `**This machine has ${d.machine.cores} cores**, shared by the broker (a JVM), the producer and every member: with 2 or 3 members the figures show what membership costs, not how it scales.`, '');

  w('### Throughput of 1, 2, 3 members', '',
    `${short(t.produce.records)} JSON records (${short(t.produce.keys)} keys, \`sabre produce\`, ${k(t.produce.recordsPerSec)} rec/s) pre-filled; the members start together `
    + '(same group, each its own checkpoint dir) and the clock runs from their spawn until the group has committed every partition to its end (so it holds process start, '
    + 'group joins, the rebalances while they join, restores and the last checkpoint). CPU: user + system time of every member process (every thread), '
    + `from /proc/PID/stat at that moment. ${d.repeat} rounds, the configurations back to back in each; median (min – max).`, '',
    '| configuration | rec/s | CPU µs per record (summed over members) | wall ms per run |', '|---|---|---|---|');
  for (const c of Object.values(t.configs)) w(`| ${NAME(c)} | ${kmm(c.recordsPerSec)} | ${f2(c.cpuUsPerRecord)} | ${c.wallMs.join(', ')} |`);
  w('');

  w('### Restore time against state size', '',
    'One member builds K keys of open `tumbling:1h` windows (K records, distinct keys, one hour of event time), stops with a savepoint (SIGTERM: its state, results and offsets '
    + 'commit in one transaction); then a fresh member (empty checkpoint dir, same group) is assigned all partitions and restores them from the changelog. '
    + 'Restore = reading the changelog partitions (waiting for them to settle) + the engine\'s rewind (workers load the state), from the member\'s `[sabre] member of … restored …` stderr line; '
    + 'per partition = total ÷ partitions (one restore loads all of them; the line gives no per-partition split). One measurement per size.', '',
    '| keys | partitions with state | state total | per partition | restore total | per partition | savepoint stop | spawn → restored |', '|---|---|---|---|---|---|---|---|');
  for (const r of d.restore) {
    w(`| ${short(r.keys)} | ${r.withState} of ${r.partitions} | ${mb(r.bytes)} | ${mb(r.bytesPerPartition)} | ${ms(r.restoreMs)} | ${ms(r.restoreMsPerPartition)} | ${ms(r.savepointStopMs)} | ${ms(r.spawnToRestoredMs)} |`);
  }
  w('');

  const b = d.rebalance;
  const tried = d.rebalanceAttempts ?? [];
  w('### The pause of a rebalance', '',
    `A producer (\`sabre produce --rate R\`) runs throughout; one member runs alone for ${d.warmSeconds} s, then a second joins (the first member commits a checkpoint before re-joining, `
    + 'keeps half its partitions — restored from that checkpoint\'s local files, hence 0 kB read from Kafka — and hands over the rest; the second restores its half from the changelog). The bench starts at R = 100k rec/s and halves R until the machine **sustains** it: '
    + 'the producer keeps to R (≥ 90%) and the first member is at most 1 s of records behind the topic\'s end when the second joins (above that the latency only grows with the backlog). '
    + `The first member's /api/stats is sampled every ${b.sampleEveryMs} ms: the **gap** is the longest stretch after the join in which its records-processed counter did not move. `
    + 'End to end: a read_committed consumer of the results; latency = the time a result became readable − its window end (event time is the intended send time), so it holds the '
    + `out-of-orderness bound (200 ms) and up to one checkpoint interval (results commit with checkpoints) as well as any pause. "After" runs from the join until ${d.afterSeconds} s after both members restored.`, '');
  if (tried.length > 1) {
    w('| R offered | broker took | member behind at the join | sustained | gap | end to end before: p50 / p99 | after: p50 / p99 |', '|---|---|---|---|---|---|---|');
    for (const x of tried) {
      w(`| ${k(x.offeredRate)} | ${k(x.achievedRate)} rec/s | ${x.lagAtJoin != null ? `${short(x.lagAtJoin)} records` : '–'} | ${x.sustained ? 'yes' : 'no'} | ${ms(x.gapMs)} | ${ms(x.endToEnd.before.p50Ms)} / ${ms(x.endToEnd.before.p99Ms)} | ${ms(x.endToEnd.afterJoin.p50Ms)} / ${ms(x.endToEnd.afterJoin.p99Ms)} |`);
    }
    w('');
  }
  w(`At **${k(b.offeredRate)} rec/s** (${b.sustained ? 'the highest rate tried that this machine sustained' : '**not sustained**: the lowest rate tried; read the latencies as those of a backlog'}):`, '',
    '| figure | value |', '|---|---|',
    `| gap: the first member processed nothing | **${ms(b.gapMs)}**, from ${ms(b.gapStartsAfterJoinMs)} after the second member was spawned |`,
    `| spawn of the second member → both restored | ${ms(b.joinToBothRestoredMs)} |`,
    `| first member's restores (assignment: partitions, state, ms) | ${b.firstMemberRestores.map((r) => `${r.assignment}: ${r.partitions}, ${mb(r.bytes)}, ${ms(r.ms)}`).join('; ')} |`,
    `| end to end before the join: results, p50 / p99 / max | ${b.endToEnd.before.results}, ${ms(b.endToEnd.before.p50Ms)} / ${ms(b.endToEnd.before.p99Ms)} / ${ms(b.endToEnd.before.maxMs)} |`,
    `| end to end after the join: results, p50 / p99 / max | ${b.endToEnd.afterJoin.results}, ${ms(b.endToEnd.afterJoin.p50Ms)} / ${ms(b.endToEnd.afterJoin.p99Ms)} / ${ms(b.endToEnd.afterJoin.maxMs)} |`,
    `| first member's queue stage (ingest → worker) p99 per metrics interval, before the join: median / worst | ${ms(b.before.queueP99UsMedian / 1000)} / ${ms(b.before.queueP99UsWorst / 1000)} |`,
    `| the same, 5 s after the gap | ${ms(b.after.queueP99UsMedian / 1000)} / ${ms(b.after.queueP99UsWorst / 1000)} |`, '');
  const c = t.configs;
  const ratio = (x, y) => (x && y ? (x / y).toFixed(2) : '–');
  w('### What these figures show, and what they do not', '',
    `- **Membership costs CPU; on ${d.machine.cores} cores it buys no throughput.** Per record, 2 members used ${ratio(c.members2?.cpuUsPerRecord.median, c.members1?.cpuUsPerRecord.median)}× the CPU of 1 member`
    + `${c.members3 ? ` and 3 members ${ratio(c.members3.cpuUsPerRecord.median, c.members1.cpuUsPerRecord.median)}×` : ''} (each process has its own Kafka clients, event loop, worker and heap, `
    + 'each joins the group and restores, and every join rewinds everyone: eager rebalancing), and the broker shares the same two cores. Nothing here measures members on separate machines: '
    + 'that is where scale-out pays, and it is not measured.',
    `- **1 member with the changelog reached ${ratio(c.members1?.recordsPerSec.median, c.plain?.recordsPerSec.median)}× the baseline's throughput** (1 member with --changelog ÷ 1 process without, same sink and checkpoint interval; medians, and the rounds overlap): `
    + 'state goes to Kafka with every checkpoint instead of a local file, and the process joins a group and restores (empty) before it reads. '
    + `The runs are short (${short(t.produce.records)} records), so process start and the group join (seconds) weigh in every figure; per-round values are in the JSON.`,
    '- **Restore grows with the state** (bytes per key are those of the open windows, as in a checkpoint): it is one read of the changelog partitions from a broker on this machine (loopback) plus the workers loading the state. '
    + 'A remote broker adds the transfer; replicated topics were not tried (single-node broker).',
    `- **The gap is the first member's own longest stall after the join** (${ms(b.gapMs)}); ${b.gapStartsAfterJoinMs > b.joinToBothRestoredMs
      ? `it began ${ms(b.gapStartsAfterJoinMs - b.joinToBothRestoredMs)} after both members had restored, so it is not the restore itself; what the member waited on then (the group, the re-read from its last committed offsets, or a machine this loaded) is not measured`
      : 'it fell within the rebalance: the eager rewind waits for the group and for the member\'s own (smaller) restore'}. The partitions that move wait longer: `
    + 'from the second member\'s spawn until it has joined and restored them (the spawn → restored row); that wait is in the end-to-end latency after the join, not in the gap. '
    + 'Latencies are from a machine whose load average was above its core count (other test suites ran), so they are upper figures.', '');
  const failed = d.failedRuns ?? [];
  if (failed.length > 0) {
    w('### Runs in which a member failed', '',
      `${failed.length} run${failed.length === 1 ? '' : 's'} of this invocation lost a member to an error and ${failed.length === 1 ? 'was' : 'were'} run again (the figures above are of runs that completed): `
      + 'a finding, not noise — a member must survive a rebalance.', '', '| run | the member\'s last line |', '|---|---|');
    for (const f of failed) w(`| ${f.run} | \`${f.error.replace(/\|/g, '\\|')}\` |`);
    w('');
  }
  return out;
}
