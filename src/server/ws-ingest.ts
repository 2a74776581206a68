// WS /ws/ingest: records over a WebSocket with credit-based flow control.
//
// - On open the server grants credit: {"type":"credit","credit":N} (records).
// - Binary frames carry a sabre.fb.RecordBatch, text frames NDJSON. A frame
//   costs its record count (at least 1). A frame costing more than the credit
//   left closes the socket with 4008 "credit exceeded".
// - Every frame is answered, in order, by
//   {"type":"ack","frame":i,"accepted":a,"rejected":r,"credit":c[,"errors":[…]]}
//   once all its records are in the rings; `credit` is new credit granted (added
//   to what the client has left). While a ring is full the frame waits, so its
//   ack — and the credit in it — is withheld until the ring drains; frames the
//   client sends meanwhile (within its credit) queue behind it.
// - Bad records are dead-lettered and listed in the ack (line for NDJSON,
//   index for flatbuffers), never counted against the client afterwards.
// uWS cannot pause a WebSocket's reads: credit is what bounds memory (queued
// frames ≤ credit, each ≤ maxPayloadLength, and at most queueLimit bytes).
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { FlatInput } from '../codec/flat-input.js';
import { FlatReader } from '../codec/flat-reader.js';
import type { IngestPort } from '../io/ingest-port.js';
import { refuseUnauthorizedUpgrade } from './bearer.js';
import { refuseForeignOrigin, type AllowedOrigins } from './origin.js';
import { IngestBatch, type FlatReaders } from './ingest-batch.js';
import { JSON_TYPE, methodNotAllowed, send } from './respond.js';
import type { WsIngestStats } from '../metrics/stats-snapshot.js';

export type { WsIngestStats };

/** Close codes (documented in docs/INGEST.md). */
export const CLOSE_CREDIT_EXCEEDED = 4008;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_INTERNAL = 1011;

export interface WsIngestOptions {
  /** Records granted on open; each ack grants back what its frame cost. */
  credit: number;
  /** Largest frame, bytes (uWS closes the socket with 1009 above it). */
  maxPayload: number;
  /** Bytes of frames queued behind a full ring before the client counts as a violator (4008). */
  queueLimit: number;
  authToken: string | undefined;
  /** --allowed-origins (besides the dashboard's own). */
  allowedOrigins: AllowedOrigins;
}

interface Pending {
  batch: IngestBatch;
  frame: number;
  cost: number;
}

/** Per-socket state (uWS user data). */
interface IngestClient {
  id: number;
  /** Records the client may still send. */
  credit: number;
  frames: number;
  /** Frames not yet fully written; the head is being written (busy) when the queue is non-empty. */
  queue: Pending[];
  queuedBytes: number;
  closed: boolean;
  ac: AbortController;
}

export class WsIngest {
  readonly counts = { frames: 0, creditViolations: 0, unauthorized401: 0, forbidden403: 0, unavailable503: 0 };
  private readonly clients = new Set<WebSocket<IngestClient>>();
  private readonly readers: FlatReaders = { fast: new FlatReader(), flat: new FlatInput() };
  private nextId = 1;
  private closed = false;

  constructor(private readonly port: IngestPort, private readonly options: WsIngestOptions, private readonly running: () => boolean) {}

  private accepting(): boolean {
    return !this.closed && this.running();
  }

  register(app: TemplatedApp, path = '/ws/ingest'): void {
    const o = this.options;
    app.ws<IngestClient>(path, {
      maxPayloadLength: o.maxPayload,
      // Acks are small and at most one per credited frame; this only guards against a client that never reads them.
      maxBackpressure: 16 * 1024 * 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        if (refuseForeignOrigin(res, req, o.allowedOrigins)) {
          this.counts.forbidden403++;
          return;
        }
        if (refuseUnauthorizedUpgrade(res, req, o.authToken)) {
          this.counts.unauthorized401++;
          return;
        }
        if (!this.accepting()) {
          this.counts.unavailable503++;
          send(res, '503 Service Unavailable', JSON_TYPE, '{"error":"the engine is not running"}', { 'Retry-After': '1' });
          return;
        }
        res.upgrade<IngestClient>(
          { id: this.nextId++, credit: 0, frames: 0, queue: [], queuedBytes: 0, closed: false, ac: new AbortController() },
          req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        const u = ws.getUserData();
        this.clients.add(ws);
        u.credit = o.credit;
        ws.send(`{"type":"credit","credit":${o.credit}}`, false);
      },
      message: (ws, message, isBinary) => this.onFrame(ws, message, isBinary),
      close: (ws) => {
        const u = ws.getUserData();
        u.closed = true;
        u.ac.abort(); // a frame waiting for space stops waiting now
        u.queue = [];
        this.clients.delete(ws);
      },
    });
    app.any(path, (res, req) => {
      if (req.getMethod() === 'get') send(res, '426 Upgrade Required', JSON_TYPE, '{"error":"WebSocket only"}', { Upgrade: 'websocket' });
      else methodNotAllowed(res);
    });
  }

  stats(): WsIngestStats {
    let queued = 0;
    for (const ws of this.clients) queued += ws.getUserData().queue.length;
    const c = this.counts;
    return {
      clients: this.clients.size, frames: c.frames, creditViolations: c.creditViolations, queuedFrames: queued,
      unauthorized401: c.unauthorized401, forbidden403: c.forbidden403, unavailable503: c.unavailable503,
    };
  }

  /** Close every client with 1001 (the engine is stopping). */
  close(): void {
    this.closed = true;
    for (const ws of [...this.clients]) ws.end(CLOSE_GOING_AWAY, 'engine stopping');
    this.clients.clear();
  }

  private onFrame(ws: WebSocket<IngestClient>, message: ArrayBuffer, isBinary: boolean): void {
    const u = ws.getUserData();
    if (u.closed) return;
    if (!this.accepting()) {
      ws.end(CLOSE_GOING_AWAY, 'engine stopping');
      return;
    }
    this.counts.frames++;
    const frame = ++u.frames;
    const where = `ws:/ws/ingest#${u.id}.${frame}`;
    const batch = IngestBatch.of(isBinary ? 'flatbuffers' : 'ndjson', new Uint8Array(message), where);
    const cost = Math.max(1, batch.records(this.readers));
    if (cost > u.credit) {
      this.counts.creditViolations++;
      ws.end(CLOSE_CREDIT_EXCEEDED, 'credit exceeded');
      return;
    }
    u.credit -= cost;
    const item: Pending = { batch, frame, cost };
    if (u.queue.length > 0) {
      // Behind a frame that waits for space: keep order, keep the bytes.
      batch.detach();
      u.queuedBytes += batch.byteLength;
      if (u.queuedBytes > this.options.queueLimit) {
        this.counts.creditViolations++;
        ws.end(CLOSE_CREDIT_EXCEEDED, 'credit exceeded: too many bytes queued');
        return;
      }
      u.queue.push(item);
      return;
    }
    const p = batch.advance(this.port, this.readers);
    if (p < 0) {
      this.port.publish();
      this.ack(ws, item);
      return;
    }
    batch.detach();
    u.queuedBytes += batch.byteLength;
    u.queue.push(item);
    void this.drainQueue(ws, u, p);
  }

  /** Write the queued frames in order, awaiting space whenever a ring is full; one ack per frame. */
  private async drainQueue(ws: WebSocket<IngestClient>, u: IngestClient, full: number): Promise<void> {
    const port = this.port;
    let p = full;
    try {
      for (;;) {
        const item = u.queue[0]!;
        while (p >= 0) {
          const outcome = await port.waitForSpaceUntil(p, 0, u.ac.signal);
          if (u.closed || outcome !== 'space') return;
          if (!this.accepting()) {
            ws.end(CLOSE_GOING_AWAY, 'engine stopping');
            return;
          }
          p = item.batch.advance(port, this.readers);
        }
        port.publish();
        u.queue.shift();
        u.queuedBytes -= item.batch.byteLength;
        this.ack(ws, item);
        if (u.queue.length === 0 || u.closed) return;
        p = u.queue[0]!.batch.advance(port, this.readers);
      }
    } catch {
      if (!u.closed) ws.end(CLOSE_INTERNAL, 'engine failed');
    }
  }

  private ack(ws: WebSocket<IngestClient>, item: Pending): void {
    const u = ws.getUserData();
    if (u.closed) return;
    u.credit += item.cost;
    const b = item.batch;
    const errors = b.rejected === 0 ? '' : `,"errors":${JSON.stringify(b.errors)}${b.errorsOmitted > 0 ? `,"errorsOmitted":${b.errorsOmitted}` : ''}`;
    const text = `{"type":"ack","frame":${item.frame},"accepted":${b.accepted},"rejected":${b.rejected},"credit":${item.cost}${errors}}`;
    let r = 0;
    ws.cork(() => { r = ws.send(text, false); });
    if (r === SEND_DROPPED) ws.end(CLOSE_INTERNAL, 'acks not read');
  }
}

const SEND_DROPPED = 2;
