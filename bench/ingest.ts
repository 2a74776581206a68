// npm run bench:ingest — push ingest on loopback, in one run:
//   http: single-record `POST /ingest` (application/json), C keep-alive
//         connections, one request in flight per connection (no pipelining);
//   ws:   batched `/ws/ingest` frames (flatbuffers RecordBatch, and NDJSON),
//         each connection sending within its credit.
// The engine (source 'api', tumbling 1 s windows, null sink) and the clients
// run on the same machine: the client is a worker thread of this process, so
// on a 2-core box client, uWS/main thread and the engine's worker share the
// cores. Each phase is bounded by a record/request count and by time, and
// stops by itself. Latency: request → response (http), frame sent → its ack (ws).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import net from 'node:net';
import * as flatbuffers from 'flatbuffers';
import { createEngine, type Engine } from '../src/index.js';
import { startHttpServer, type HttpServer } from '../src/server/http-server.js';
import { addIngestRoutes, type IngestRoutes } from '../src/server/ingest/ingest-routes.js';
import { Record as FbRecord } from '../src/codec/flat/generated/sabre/fb/record.js';
import { RecordBatch } from '../src/codec/flat/generated/sabre/fb/record-batch.js';
import { numArgs, percentile, progress, report } from './bench-util.js';

const T0 = 1_700_000_000_000;
/** Event time advances 1 ms per this many records: about real time at 2M records/s (1 s windows, ~200 records per key with 10k keys). */
const RECORDS_PER_MS = 2000;

interface ClientJob {
  kind: 'http' | 'ws-flat' | 'ws-ndjson';
  port: number;
  connections: number;
  /** http: requests; ws: records. */
  count: number;
  seconds: number;
  batch: number;
  keys: number;
}

interface ClientResult {
  done: number;
  errors: number;
  elapsedMs: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
}

// ───────────────────────────── client side (worker thread) ─────────────────────────────

function percentiles(xs: Float64Array): ClientResult['latencyMs'] {
  xs.sort();
  const at = (q: number): number => Math.round(percentile(xs, q) * 1000) / 1000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/** A raw HTTP/1.1 keep-alive client: one POST in flight per connection, responses parsed by Content-Length. */
async function httpClient(job: ClientJob): Promise<ClientResult> {
  const lat = new Float64Array(job.count);
  let sent = 0;
  let done = 0;
  let errors = 0;
  const deadline = performance.now() + job.seconds * 1000;
  const t0 = performance.now();
  // One request per key, built once; the event time (13 fixed-width digits) is patched in before each send,
  // advancing 1 ms per RECORDS_PER_MS requests, so windows fire as in a live stream and nothing is late.
  const requests: { buf: Buffer; tsAt: number }[] = [];
  for (let k = 0; k < job.keys; k++) {
    const body = `{"key":"K${k}","ts":${T0},"value":${(k % 100) + 0.5}}`;
    const buf = Buffer.from(`POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    requests.push({ buf, tsAt: buf.indexOf(String(T0)) });
  }
  await new Promise<void>((resolve) => {
    let open = job.connections;
    const finish = (): void => { if (--open === 0) resolve(); };
    for (let c = 0; c < job.connections; c++) {
      const sock = net.connect(job.port, '127.0.0.1');
      sock.setNoDelay(true);
      let buf: Buffer = Buffer.alloc(0);
      let started = 0;
      const next = (): void => {
        if (sent >= job.count || performance.now() > deadline) {
          sock.end();
          return;
        }
        sent++;
        const r = requests[sent % requests.length]!;
        r.buf.write(String(T0 + Math.floor(sent / RECORDS_PER_MS)), r.tsAt, 'latin1');
        started = performance.now();
        sock.write(Buffer.from(r.buf)); // a copy: the template changes before the socket may have sent it
      };
      sock.on('connect', next);
      sock.on('data', (d: Buffer) => {
        buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.toString('latin1', 0, end);
          const m = /content-length: *(\d+)/i.exec(head);
          const len = m ? Number(m[1]) : 0;
          if (buf.length < end + 4 + len) return;
          if (!head.startsWith('HTTP/1.1 202')) errors++;
          buf = buf.subarray(end + 4 + len);
          lat[done++] = performance.now() - started;
          next();
        }
      });
      sock.on('error', () => { errors++; });
      sock.on('close', finish);
    }
  });
  return { done, errors, elapsedMs: performance.now() - t0, latencyMs: percentiles(lat.subarray(0, done)) };
}

interface WsLike {
  on(event: string, fn: (...args: any[]) => void): void;
  send(data: string | Uint8Array, opts?: { binary?: boolean }): void;
  close(): void;
}

/** A frame whose event times (one per frame) are rewritten in place before each send. */
interface FrameTemplate {
  bytes: Uint8Array;
  /** Byte offsets of every record's event time (f64 little-endian for flatbuffers, 13 ASCII digits for NDJSON). */
  tsAt: number[];
}

function stampFlat(f: FrameTemplate, ts: number): void {
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  for (const at of f.tsAt) dv.setFloat64(at, ts, true);
}

function stampNdjson(f: FrameTemplate, ts: number): void {
  const digits = Buffer.from(String(ts), 'latin1');
  for (const at of f.tsAt) f.bytes.set(digits, at);
}

function flatFrame(batch: number, from: number, keys: number): FrameTemplate {
  const b = new flatbuffers.Builder(batch * 48 + 64);
  b.forceDefaults(true);
  const offs: number[] = [];
  for (let i = 0; i < batch; i++) {
    const k = (from + i) % keys;
    const key = b.createString(`K${k}`);
    FbRecord.startRecord(b);
    FbRecord.addKey(b, key);
    FbRecord.addEventTime(b, T0 + from + i);
    FbRecord.addValue(b, (k % 100) + 0.5);
    offs.push(FbRecord.endRecord(b));
  }
  b.finish(RecordBatch.createRecordBatch(b, RecordBatch.createRecordsVector(b, offs)));
  const bytes = b.asUint8Array().slice();
  // Where each record's event_time lies: the generated accessors give the table, its vtable the field.
  const bb = new flatbuffers.ByteBuffer(bytes);
  const rb = RecordBatch.getRootAsRecordBatch(bb);
  const tsAt: number[] = [];
  for (let i = 0; i < batch; i++) {
    const rec = rb.records(i)!;
    tsAt.push(rec.bb_pos + bb.__offset(rec.bb_pos, 6));
  }
  return { bytes, tsAt };
}

function ndjsonFrame(batch: number, from: number, keys: number): FrameTemplate {
  let s = '';
  const tsAt: number[] = [];
  for (let i = 0; i < batch; i++) {
    const k = (from + i) % keys;
    const line = `{"key":"K${k}","ts":`;
    tsAt.push(Buffer.byteLength(s) + line.length);
    s += `${line}${T0},"value":${(k % 100) + 0.5}}\n`;
  }
  return { bytes: Buffer.from(s), tsAt };
}

/**
 * WebSocket clients (the `ws` package) that keep to their credit. Frames are
 * built before the clock starts (a producer's encoding cost is not the
 * server's); event times advance by frame so windows keep firing.
 */
async function wsClient(job: ClientJob): Promise<ClientResult> {
  const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, o: object) => WsLike;
  const flat = job.kind === 'ws-flat';
  const variants = 16;
  const frames = Array.from({ length: variants }, (_, v) => flat ? flatFrame(job.batch, v * job.batch, job.keys) : ndjsonFrame(job.batch, v * job.batch, job.keys));
  const stamp = flat ? stampFlat : stampNdjson;
  let recordsSent = 0;
  const perConn = Math.ceil(job.count / job.batch / job.connections);
  const lat = new Float64Array(perConn * job.connections);
  let acked = 0;
  let latN = 0;
  let errors = 0;
  const deadline = performance.now() + job.seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: job.connections }, (_, c) => new Promise<void>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${job.port}/ws/ingest`, { perMessageDeflate: false });
    let credit = 0;
    let sentFrames = 0;
    let ackedFrames = 0;
    const sentAt: number[] = [];
    const pump = (): void => {
      while (credit >= job.batch && sentFrames < perConn && performance.now() < deadline) {
        credit -= job.batch;
        const f = frames[(sentFrames + c) % variants]!;
        stamp(f, T0 + Math.floor(recordsSent / RECORDS_PER_MS));
        recordsSent += job.batch;
        sentAt.push(performance.now());
        ws.send(f.bytes, { binary: flat }); // ws copies (masks) the frame before send() returns
        sentFrames++;
      }
      if (ackedFrames === sentFrames && (sentFrames >= perConn || performance.now() >= deadline)) ws.close();
    };
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as { type: string; credit: number; accepted: number; rejected: number };
      if (m.type === 'ack') {
        acked += m.accepted;
        errors += m.rejected;
        lat[latN++] = performance.now() - sentAt[ackedFrames++]!;
      }
      credit += m.credit;
      pump();
    });
    ws.on('close', () => resolve());
    ws.on('error', () => { errors++; resolve(); });
  })));
  return { done: acked, errors, elapsedMs: performance.now() - t0, latencyMs: percentiles(lat.subarray(0, latN)) };
}

if (!isMainThread) {
  const job = workerData as ClientJob;
  const result = job.kind === 'http' ? await httpClient(job) : await wsClient(job);
  parentPort!.postMessage(result);
}

// wrk (C, one thread), when installed: the same single-record POSTs with a cheaper client. Its
// requests are built once (a dynamic request() costs wrk more than the server), so their event
// time is fixed: every record lands in one window per key, which fires at the end.
const WRK_SCRIPT = `
local reqs = {}
local n = 0
init = function(args)
  for k = 0, ${10_000 - 1} do
    reqs[k] = wrk.format("POST", "/ingest", { ["Content-Type"] = "application/json" },
      string.format('{"key":"K%d","ts":${T0},"value":%d.5}', k, k % 100))
  end
end
request = function()
  n = n + 1
  return reqs[n % ${10_000}]
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests":%d,"seconds":%f,"non2xx":%d,"socketErrors":%d,"p50":%f,"p90":%f,"p99":%f,"p999":%f,"max":%f}\\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000))
end
`;

function wrkRun(port: number, connections: number, seconds: number): Promise<ClientResult & { non2xx: number } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'sabre-wrk-'));
  const script = join(dir, 'post.lua');
  writeFileSync(script, WRK_SCRIPT);
  return new Promise((resolve) => {
    // Asynchronous: the server under test is this thread's event loop.
    execFile('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, `http://127.0.0.1:${port}/ingest`],
      { timeout: (seconds + 30) * 1000 }, (err, stdout) => {
        const line = /WRK (\{.*\})/.exec(stdout ?? '');
        if (err || !line) {
          resolve(undefined);
          return;
        }
        const w = JSON.parse(line[1]!) as Record<string, number>;
        resolve({
          done: w.requests!, errors: w.non2xx! + w.socketErrors!, non2xx: w.non2xx!, elapsedMs: w.seconds! * 1000,
          latencyMs: { p50: w.p50!, p90: w.p90!, p99: w.p99!, p999: w.p999!, max: w.max! },
        });
      });
  });
}

function hasWrk(): Promise<boolean> {
  // `wrk --version` exits 1 after printing its usage; only a missing binary (ENOENT) means no wrk.
  return new Promise((resolve) => execFile('wrk', ['--version'], (err) => resolve((err as NodeJS.ErrnoException | null)?.code !== 'ENOENT')));
}

// ───────────────────────────── server side (main thread) ─────────────────────────────

function runClient(job: ClientJob): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

interface Target {
  engine: Engine;
  port: number;
  stop(): Promise<void>;
}

/** The engine's own server when it serves /ingest; otherwise the routes on a server of ours (same code). */
async function startTarget(a: { partitions: number; workers: number }): Promise<Target> {
  const engine = createEngine({
    source: 'api', sink: 'null', lateOutput: 'null', deadLetter: 'null', progress: 0, httpListenPort: 0,
    // 2 s of out-of-orderness: frames of several connections in flight at once arrive out of event-time order.
    window: 'tumbling:1s', outOfOrderness: '2s', agg: 'count,sum,min,max,avg', partitions: a.partitions, workers: a.workers,
  });
  await engine.start();
  const probe = await fetch(`http://127.0.0.1:${engine.httpPort}/ingest`, {
    method: 'POST', body: '', headers: { 'Content-Type': 'application/x-ndjson' },
  });
  if (probe.status === 202) return { engine, port: engine.httpPort!, stop: async () => { await engine.stop(); } };
  let server: HttpServer | undefined = await startHttpServer({ listenPort: 0, stats: () => engine.stats(), histogram: () => undefined });
  let running = true;
  const routes: IngestRoutes = addIngestRoutes(server.app, {
    httpPort: engine.openIngest('http'), wsPort: engine.openIngest('ws'), onResult: (cb) => engine.onResult(cb),
    accepting: () => running, options: engine.options,
  });
  return {
    engine, port: server.port,
    stop: async () => {
      running = false;
      routes.close();
      await engine.stop();
      server?.close();
      server = undefined;
    },
  };
}

if (isMainThread) {
  const a = numArgs({
    requests: 500_000, connections: 32, httpSeconds: 10,
    records: 20_000_000, wsConnections: 2, batch: 2000, wsSeconds: 10,
    keys: 10_000, partitions: 4, workers: 1,
    /** Bit mask: 1 http, 2 ws flatbuffers, 4 ws NDJSON, 8 http with wrk (skipped when wrk is not installed). */
    phases: 15,
  });
  const phases: [ClientJob['kind'], number, number, number][] = [
    ['http', a.requests, a.connections, a.httpSeconds],
    ['ws-flat', a.records, a.wsConnections, a.wsSeconds],
    ['ws-ndjson', a.records, a.wsConnections, a.wsSeconds],
  ];
  const out: Record<string, unknown> = {};
  for (const [i, [kind, count, connections, seconds]] of phases.entries()) {
    if ((a.phases & (1 << i)) === 0) continue;
    progress(`[bench:ingest] ${kind}: up to ${count} ${kind === 'http' ? 'requests' : 'records'} or ${seconds}s, ${connections} connections`);
    const target = await startTarget(a);
    const before = target.engine.snapshot().recordsIn;
    const r = await runClient({ kind, port: target.port, connections, count, seconds, batch: a.batch, keys: a.keys });
    const recordsIn = target.engine.snapshot().recordsIn - before;
    await target.stop();
    const late = target.engine.snapshot().late;
    const perSec = r.done / (r.elapsedMs / 1000);
    out[kind] = {
      ...(kind === 'http' ? { requests: r.done, requestsPerSec: Math.round(perSec) } : { records: r.done, recordsPerSec: Math.round(perSec), batch: a.batch }),
      errors: r.errors, connections, seconds: r.elapsedMs / 1000, engineRecordsIn: recordsIn, lateRecords: late,
      latencyMs: r.latencyMs,
    };
  }
  if ((a.phases & 8) !== 0 && await hasWrk()) {
    progress(`[bench:ingest] http with wrk: ${a.httpSeconds}s, ${a.connections} connections`);
    const target = await startTarget(a);
    const r = await wrkRun(target.port, a.connections, a.httpSeconds);
    const recordsIn = target.engine.snapshot().recordsIn;
    await target.stop();
    if (r) {
      out.wrk = {
        requests: r.done, requestsPerSec: Math.round(r.done / (r.elapsedMs / 1000)), errors: r.errors,
        connections: a.connections, seconds: r.elapsedMs / 1000, engineRecordsIn: recordsIn, latencyMs: r.latencyMs,
      };
    }
  }
  progress('');
  report('ingest', {
    note: 'client (worker thread), uWS/main thread and engine worker(s) share this machine\'s cores; loopback only',
    job: { window: 'tumbling:1s', aggregates: 5, keys: a.keys, partitions: a.partitions, workers: a.workers },
    http: out.http,
    httpWrk: out.wrk ?? 'wrk not installed (apt-get install wrk) or phase off',
    wsFlatbuffers: out['ws-flat'],
    wsNdjson: out['ws-ndjson'],
    targets: { httpRequestsPerSec: 50_000, wsRecordsPerSec: 2_000_000 },
  });
}
