// WS /ws/ingest: records over a WebSocket with credit-based flow control.
//
// - On open the server grants credit: {"type":"credit","credit":N} (records).
// - Binary frames carry a sabre.fb.RecordBatch, text frames NDJSON. A frame
//   costs its record count (at least 1). A frame costing more than the credit
//   left closes the socket with 4008 "credit exceeded". Credit an ack returns
//   counts only once the ack can have reached the client: an ack sent while
//   a frame is read returns its credit after this event-loop turn, so a frame
//   read in the same turn (sent before its client saw the ack) is checked
//   against the credit left without it.
// - A frame is written whole or not at all: once its first record is in a
//   ring, the rest follows even if the socket is closed meanwhile (a 4008
//   violation is answered after that frame's ack; a client that goes away
//   leaves its frame to be completed), while frames queued behind it and not
//   started are dropped unacknowledged (the client resends them). Only an
//   engine that stops or fails can leave a frame half written.
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
import { FlatInput } from '../../codec/flat/flat-input.js';
import { FlatReader } from '../../codec/flat/flat-reader.js';
import type { IngestPort } from '../../io/sources/ingest-port.js';
import { refuseUpgrade } from '../upgrade-guard.js';
import type { AllowedOrigins } from '../origin.js';
import { IngestBatch, type FlatReaders } from './ingest-batch.js';
import { JSON_TYPE, methodNotAllowed, send } from '../respond.js';
import type { WsIngestStats } from '../../metrics/stats-snapshot.js';

export type { WsIngestStats };

/** Close codes (documented in docs/INGEST.md). */
export const CLOSE_CREDIT_EXCEEDED = 4008;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_INTERNAL = 1011;
export const CLOSE_TOO_BIG = 1009;

export interface WsIngestOptions {
  /** Records granted on open; each ack grants back what its frame cost. */
  credit: number;
  /** Largest frame, bytes (--max-body): a larger one closes the socket with 1009. */
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
  /** Set when the client is to be closed (4008, 1009) once the frame being written is done: the reason. */
  closing: string | undefined;
  /** The code sent with `closing`. */
  closeCode: number;
  /** Credit of acks sent this event-loop turn, added to `credit` in the next (see releaseCredit). */
  unreleased: number;
  ac: AbortController;
}

export class WsIngest {
  readonly counts = { frames: 0, creditViolations: 0, tooLarge1009: 0, unauthorized401: 0, forbidden403: 0, unavailable503: 0 };
  private readonly clients = new Set<WebSocket<IngestClient>>();
  private readonly readers: FlatReaders = { fast: new FlatReader(), flat: new FlatInput() };
  /** Clients with credit to release at the next check phase, and whether that is scheduled. */
  private releasing: IngestClient[] = [];
  private releaseScheduled = false;
  private readonly releaseCredit = (): void => {
    this.releaseScheduled = false;
    const list = this.releasing;
    this.releasing = [];
    for (const u of list) {
      u.credit += u.unreleased;
      u.unreleased = 0;
    }
  };
  private nextId = 1;
  private closed = false;

  constructor(private readonly port: IngestPort, private readonly options: WsIngestOptions, private readonly running: () => boolean) {}

  private accepting(): boolean {
    return !this.closed && this.running();
  }

  register(app: TemplatedApp, path = '/ws/ingest'): void {
    const o = this.options;
    app.ws<IngestClient>(path, {
      // uWS drops the connection without a close frame (the client sees 1006) when a frame is over its limit:
      // set it above ours, so a frame up to twice --max-body reaches onFrame and gets 1009 (docs/INGEST.md).
      maxPayloadLength: Math.min(2 * o.maxPayload, 0x7fffffff),
      // Acks are small and at most one per credited frame; this only guards against a client that never reads them.
      maxBackpressure: 16 * 1024 * 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        if (refuseUpgrade(res, req, o.allowedOrigins, o.authToken, this.counts)) return;
        if (!this.accepting()) {
          this.counts.unavailable503++;
          send(res, '503 Service Unavailable', JSON_TYPE, '{"error":"the engine is not running"}', { 'Retry-After': '1' });
          return;
        }
        res.upgrade<IngestClient>(
          {
            id: this.nextId++, credit: 0, frames: 0, queue: [], queuedBytes: 0, closed: false, closing: undefined, closeCode: CLOSE_CREDIT_EXCEEDED, unreleased: 0,
            ac: new AbortController(),
          },
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
        // The frame being written (the head) is completed, so that no frame is half in the engine; the
        // frames behind it were not started and are dropped. Only a stopping engine ends the wait at once.
        this.dropQueuedBehindHead(u);
        if (this.closed || !this.running()) u.ac.abort();
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
      clients: this.clients.size, frames: c.frames, creditViolations: c.creditViolations, tooLarge1009: c.tooLarge1009, queuedFrames: queued,
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
    // After a violation the socket closes once its frame being written is done: later frames are not looked at.
    if (u.closed || u.closing !== undefined) return;
    if (message.byteLength > this.options.maxPayload) {
      this.frameTooLarge(ws, u);
      return;
    }
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
      this.violation(ws, u, 'credit exceeded');
      return;
    }
    u.credit -= cost;
    const item: Pending = { batch, frame, cost };
    if (u.queue.length > 0) {
      // Behind a frame that waits for space: keep order, keep the bytes.
      batch.detach();
      u.queuedBytes += batch.byteLength;
      u.queue.push(item);
      if (u.queuedBytes > this.options.queueLimit) this.violation(ws, u, 'credit exceeded: too many bytes queued');
      return;
    }
    const p = batch.advance(this.port, this.readers);
    if (p < 0) {
      this.port.publish();
      this.ack(ws, item, true);
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
          // Not given up when the client goes away: the frame has records in the rings already, so it is completed.
          const outcome = await port.waitForSpaceUntil(p, 0, u.ac.signal);
          if (outcome !== 'space') return; // aborted: the engine is stopping
          if (!this.accepting()) {
            if (!u.closed) ws.end(CLOSE_GOING_AWAY, 'engine stopping');
            return;
          }
          p = item.batch.advance(port, this.readers);
        }
        port.publish();
        u.queue.shift();
        u.queuedBytes -= item.batch.byteLength;
        this.ack(ws, item, false);
        if (u.closed) return;
        if (u.closing !== undefined) {
          ws.end(u.closeCode, u.closing);
          return;
        }
        if (u.queue.length === 0) return;
        p = u.queue[0]!.batch.advance(port, this.readers);
      }
    } catch {
      if (!u.closed) ws.end(CLOSE_INTERNAL, 'engine failed');
    }
  }

  /**
   * The client sent past its credit (4008). Nothing of the offending frame is
   * written, nor of the frames queued behind the one being written; that one
   * (if any) is completed and acknowledged first, then the socket closes, so
   * the client knows exactly which frames went in.
   */
  private violation(ws: WebSocket<IngestClient>, u: IngestClient, reason: string): void {
    this.counts.creditViolations++;
    this.closeAfterHead(ws, u, CLOSE_CREDIT_EXCEEDED, reason);
  }

  /** A frame over --max-body: nothing of it is written; 1009, after the frame being written, as for 4008. */
  private frameTooLarge(ws: WebSocket<IngestClient>, u: IngestClient): void {
    this.counts.tooLarge1009++;
    this.closeAfterHead(ws, u, CLOSE_TOO_BIG, `frame over --max-body (${this.options.maxPayload} bytes)`);
  }

  /** Close now, or, while a frame is being written, once drainQueue has completed and acknowledged it. */
  private closeAfterHead(ws: WebSocket<IngestClient>, u: IngestClient, code: number, reason: string): void {
    this.dropQueuedBehindHead(u);
    if (u.queue.length === 0) {
      ws.end(code, reason);
      return;
    }
    u.closing = reason;
    u.closeCode = code;
  }

  /** Frames queued behind the one being written were not started: drop them (never acknowledged). */
  private dropQueuedBehindHead(u: IngestClient): void {
    for (let i = u.queue.length - 1; i >= 1; i--) u.queuedBytes -= u.queue[i]!.batch.byteLength;
    if (u.queue.length > 1) u.queue.length = 1;
  }

  /**
   * `whileReading`: the ack is sent from the message callback. The client
   * cannot have seen it before the frames read in this same turn were sent,
   * so its credit counts from the next turn (an ack sent later, after a wait,
   * counts at once: frames that arrived meanwhile were checked on arrival).
   */
  private ack(ws: WebSocket<IngestClient>, item: Pending, whileReading: boolean): void {
    const u = ws.getUserData();
    if (u.closed) return;
    if (whileReading) {
      if (u.unreleased === 0) this.releasing.push(u);
      u.unreleased += item.cost;
      if (!this.releaseScheduled) {
        this.releaseScheduled = true;
        setImmediate(this.releaseCredit);
      }
    } else {
      u.credit += item.cost;
    }
    const b = item.batch;
    const errors = b.rejected === 0 ? '' : `,"errors":${JSON.stringify(b.errors)}${b.errorsOmitted > 0 ? `,"errorsOmitted":${b.errorsOmitted}` : ''}`;
    const text = `{"type":"ack","frame":${item.frame},"accepted":${b.accepted},"rejected":${b.rejected},"credit":${item.cost}${errors}}`;
    let r = 0;
    ws.cork(() => { r = ws.send(text, false); });
    if (r === SEND_DROPPED) ws.end(CLOSE_INTERNAL, 'acks not read');
  }
}

const SEND_DROPPED = 2;
