// `sabre stats --url URL`: fetch /api/stats from a running engine and render
// a compact terminal table. Pure rendering lives in renderStats() so it can
// be tested without a server.
import { SabreError } from '../errors.js';
import { GC_KINDS, STAGES } from '../metrics/stages.js';
import type { MemberStats, Quantiles, StatsSnapshot } from '../metrics/stats-snapshot.js';

export async function statsCommand(args: { url: string }): Promise<string> {
  const base = args.url.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/stats`, { headers: { accept: 'application/json' } });
  } catch (e) {
    throw new SabreError('ERR_INVALID_OPTION',
      `--url ${args.url}: cannot reach ${base}/api/stats (${(e as Error).message}); is sabre running with --http-port > 0?`, { cause: e });
  }
  if (!res.ok) {
    throw new SabreError('ERR_INVALID_OPTION', `--url ${args.url}: ${base}/api/stats answered ${res.status}; is this a sabre server?`);
  }
  const snapshot = (await res.json()) as StatsSnapshot;
  if (snapshot?.version !== 1 || !snapshot.totals) {
    throw new SabreError('ERR_INVALID_OPTION', `--url ${args.url}: ${base}/api/stats is not a sabre stats snapshot`);
  }
  return renderStats(snapshot, base);
}

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const int = (n: number): string => nf.format(n);

function ms(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  if (x < 0.01) return x.toFixed(4);
  if (x < 1) return x.toFixed(3);
  if (x < 100) return x.toFixed(2);
  return int(x);
}

function bytes(b: number | undefined): string {
  if (b === undefined) return '-';
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  return `${(b / 1024).toFixed(0)} KiB`;
}

function uptime(s: number): string {
  const t = Math.floor(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  return h > 0 ? `${h}h${m}m${t % 60}s` : m > 0 ? `${m}m${t % 60}s` : `${t}s`;
}

/** Column-aligned table: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => indent + cells
    .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function bar(ratio: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, ratio)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

const qCells = (q: Quantiles, scale: number): string[] =>
  [int(q.count), ms(q.p50 / scale), ms(q.p99 / scale), ms(q.p999 / scale), ms(q.max / scale)];

/** `FILE:LINE` without the file's directories (the module's path heads the section). */
function shortWhere(where: string): string {
  return where.slice(where.lastIndexOf('/') + 1);
}

export function renderStats(s: StatsSnapshot, url = ''): string {
  const out: string[] = [];
  const impl = s.uws.implementation === 'native' ? 'native' : `FALLBACK (${s.uws.detail})`;
  out.push(`sabre stats ${url}  up ${uptime(s.uptimeSeconds)}  uWS ${impl}  at ${new Date(s.time).toISOString()}`);

  out.push('', 'Totals');
  const T = s.totals;
  const R = s.rates;
  out.push(table(['', 'records in', 'processed', 'results out', 'late', 'dead letter', 'rejected'], [
    ['total', int(T.recordsIn), int(T.recordsProcessed), int(T.resultsOut), int(T.late), int(T.deadLetter), int(T.rejected)],
    [`per s (last ${R.intervalSeconds.toFixed(1)}s)`, int(R.recordsIn), int(R.recordsProcessed), int(R.resultsOut), int(R.late), '', ''],
  ]));

  if (s.job) {
    const j = s.job;
    out.push('', `Job ${j.module}`, `  ${j.pipeline}`);
    out.push(table(['branch', 'keyed stage'], j.branches.map((b, i) => [String(i + 1), b])));
    out.push(table(['branch', 'stage', 'at', 'passed on'], j.stages.map((x) => [String(x.branch + 1), x.stage, shortWhere(x.where), int(x.out)])));
    out.push(table(['sink', 'target', 'outputs'], j.sinks.map((x) => [x.name === '' ? '(default)' : x.name, x.target, int(x.outputs)])));
    out.push(`  user-function dead letters: ${int(j.userFunctionDeadLetters)}`);
    out.push(`  lookup table reload errors: ${int(j.lookupReloadErrors)}`);
  }

  if (s.member) out.push('', ...memberLines(s.member));

  out.push('', 'Latency (ms, since start)');
  const lat: string[][] = [];
  for (const st of STAGES) {
    const l = s.latency.stages[st];
    if (!l || l.all.count === 0) continue;
    lat.push([st, 'all', ...qCells(l.all, 1000)]);
    l.workers.forEach((q, w) => { if (q.count > 0) lat.push([st, String(w), ...qCells(q, 1000)]); });
  }
  out.push(lat.length ? table(['stage', 'worker', 'count', 'p50', 'p99', 'p99.9', 'max'], lat) : '  (no latency recorded yet)');

  out.push('', 'GC per thread (count / total ms)');
  out.push(table(['thread', ...GC_KINDS, 'total ms', 'p99 ms', 'max ms', 'heap used'], s.gc.threads.map((t) => {
    let p99 = 0;
    let max = 0;
    for (const k of GC_KINDS) {
      p99 = Math.max(p99, t.kinds[k].pauseMs.p99);
      max = Math.max(max, t.kinds[k].pauseMs.max);
    }
    return [t.thread, ...GC_KINDS.map((k) => `${int(t.kinds[k].count)}/${ms(t.kinds[k].totalMs)}`),
      ms(t.totalMs), ms(p99), ms(max), bytes(t.heap?.usedBytes)];
  })));

  out.push('', 'Ring occupancy');
  out.push(table(['partition', 'worker', 'occupancy', '', 'records in', 'processed'], s.partitions.map((p) => [
    `p${p.partition}`, String(p.worker), bar(p.ringOccupancy), `${(p.ringOccupancy * 100).toFixed(1)}%`,
    int(p.recordsIn), int(p.recordsProcessed),
  ])));

  out.push('', 'Workers');
  out.push(table(['worker', 'results', 'late', 'watermark lag s', 'open windows', 'keys', 'heap used', 'idle wait'], s.workers.map((w) => [
    String(w.worker), int(w.resultsOut), int(w.late), w.watermarkLagSeconds === null ? '-' : w.watermarkLagSeconds.toFixed(3),
    int(w.openWindows), int(w.keys), bytes(w.heap?.usedBytes), w.polling ? 'poll, sleep' : 'sleep',
  ])));

  out.push('', 'Backpressure');
  // A column for the event-time watermark only when a source drives watermarks (Kafka: the minimum over its partitions).
  const drives = s.sources.some((x) => x.watermark !== undefined);
  out.push(s.sources.length
    ? table(['source', 'records', 'pauses', 'paused s', ...(drives ? ['watermark'] : [])], s.sources.map((x) => [
      x.readsWith ? `${x.name} (${x.readsWith})` : x.name, int(x.records), int(x.pauses), x.pausedSeconds.toFixed(3),
      ...(drives ? [x.watermark == null ? '-' : new Date(x.watermark).toISOString()] : []),
    ]))
    : '  (no sources)');

  if (s.eventLoop) {
    const e = s.eventLoop;
    out.push('', `Event loop (main): delay p50 ${ms(e.p50Ms)} ms, p99 ${ms(e.p99Ms)} ms, max ${ms(e.maxMs)} ms; utilisation ${(e.utilization * 100).toFixed(1)}%`);
  }
  if (s.server) {
    out.push(`WebSocket: ${s.server.wsClients} client(s), ${int(s.server.wsFramesSent)} frames sent, ${int(s.server.wsFramesSkipped)} skipped`);
  }
  if (s.ingest) {
    const h = s.ingest.http;
    const ws = s.ingest.ws;
    const r = s.ingest.results;
    out.push('', 'Ingest');
    out.push(table(['POST /ingest', 'requests', '202', '400', '401', '403', '413', '415', '503', 'not accepted', 'aborted', 'waiting'], [
      ['responses', int(h.requests), int(h.accepted202), int(h.badRequest400 ?? 0), int(h.unauthorized401), int(h.forbidden403 ?? 0), int(h.tooLarge413), int(h.unsupported415),
        int(h.unavailable503), int(h.recordsNotAccepted), int(h.aborted), int(h.waiting)],
    ]));
    out.push(table(['WebSocket', 'clients', 'frames', 'closed', 'close code', 'refused 401', 'refused 403', 'refused 503'], [
      ['/ws/ingest', int(ws.clients), int(ws.frames), int(ws.creditViolations), '4008 credit exceeded', int(ws.unauthorized401), int(ws.forbidden403 ?? 0), int(ws.unavailable503)],
      ['', '', '', int(ws.tooLarge1009 ?? 0), '1009 frame too large', '', '', ''],
      ['/ws/results', int(r.clients), int(r.framesSent), int(r.slowDisconnects), '4009 too slow', int(r.unauthorized401), int(r.forbidden403 ?? 0), int(r.unavailable503)],
    ]));
  }
  return `${out.join('\n')}\n`;
}

/** Partitions as a compact list: 0-2,5. */
export function partitionList(ps: readonly number[]): string {
  if (ps.length === 0) return '-';
  const parts: string[] = [];
  for (let i = 0; i < ps.length;) {
    let j = i;
    while (j + 1 < ps.length && ps[j + 1] === ps[j]! + 1) j++;
    parts.push(j === i ? String(ps[i]) : `${ps[i]}-${ps[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The Group member block of a scaled-out run (--changelog). */
export function memberLines(m: MemberStats): string[] {
  const out = [`Group member ${m.memberId ?? '(not joined yet)'} of "${m.group}" (${m.topic}, changelog ${m.changelogTopic})`];
  out.push(`  generation ${int(m.generation)}, assigned ${partitionList(m.assigned)} (${m.assigned.length})`);
  const r = m.restores;
  out.push(`  restores ${int(r.count)}: ${int(r.partitions)} partitions, ${int(r.bytes)} bytes, ${ms(r.totalMs)} ms; `
    + `last rewind ${ms(m.lastRewindMs)} ms, ${int(m.rewoundResults)} results dropped by rewinds`);
  const last = r.recent.at(-1);
  if (last) {
    out.push(`  last restore: generation ${int(last.generation)}, partitions ${partitionList(last.partitions)}, ${int(last.withState)} with state, `
      + `${last.kept > 0 ? `${int(last.kept)} kept from its own commit, ` : ''}${int(last.bytes)} bytes, read ${ms(last.readMs)} ms, rewind ${ms(last.rewindMs)} ms`);
  }
  const c = m.changelog;
  out.push(`  changelog: ${int(c.checkpoints)} checkpoints, ${int(c.bytes)} bytes, ${int(c.messages)} messages, last write ${ms(c.lastWriteMs)} ms`);
  const t = m.transactions;
  out.push(`  transactions: ${int(t.commits)} committed, ${int(t.aborts)} aborted, ${int(t.fencedCommits)} commits refused while fenced`);
  const at = m.membersAt === null ? 'not described yet' : `as of ${new Date(m.membersAt).toISOString()}`;
  out.push(`  group members (${m.members.length}, ${at}${m.membersError ? `; last describe failed: ${m.membersError}` : ''})`);
  if (m.members.length > 0) {
    out.push(table(['member', 'client', 'host', 'partitions'], m.members.map((x) => [
      x.memberId === m.memberId ? `${x.memberId} (this)` : x.memberId, x.clientId, x.host, partitionList(x.partitions),
    ]), '    '));
  }
  return out;
}
