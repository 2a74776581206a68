// WS /ws/results?key=PREFIX: window results pushed as they fire.
//
// Each text frame is a JSON array of result objects (the shape of onResult /
// the NDJSON sink lines), batched per event-loop turn and split at
// maxFrameBytes; only results whose key starts with PREFIX (empty = all).
// Results never wait for a socket: the onResult callback only appends to the
// subscriber's pending list, and one flush per turn sends what is pending.
// A subscriber whose send buffer holds more than maxBackpressure bytes at a
// flush is closed with 4009 "too slow" and counted — it is never skipped
// silently (that would lose results) and never waited for. With --auth-token
// a subscriber presents the token as /ws/ingest clients do (401 otherwise).
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { WindowResult } from '../codec/window-result.js';
import { JSON_TYPE, methodNotAllowed, send } from './respond.js';
import { refuseUpgrade } from './upgrade-guard.js';
import type { AllowedOrigins } from './origin.js';
import type { WsResultsStats } from '../metrics/stats-snapshot.js';

export type { WsResultsStats };

export const CLOSE_TOO_SLOW = 4009;

export interface WsResultsOptions {
  /** Buffered bytes beyond which a subscriber is too slow (default 1 MiB). */
  maxBackpressure: number;
  /** Largest frame, bytes (results are split across frames beyond it). */
  maxFrameBytes: number;
  /** --auth-token: subscribers must present it like /ws/ingest clients (results are the job's output). */
  authToken: string | undefined;
  /** --allowed-origins (besides the dashboard's own): a page elsewhere must not read the results. */
  allowedOrigins: AllowedOrigins;
}

/** Per-socket state (uWS user data). */
interface Subscriber {
  id: number;
  prefix: string;
  ws: WebSocket<Subscriber> | undefined;
  pending: string[];
  queued: boolean;
  closed: boolean;
}

export class WsResults {
  readonly counts = { framesSent: 0, resultsSent: 0, slowDisconnects: 0, unauthorized401: 0, forbidden403: 0, unavailable503: 0 };
  private readonly subs: Subscriber[] = [];
  private dirty: Subscriber[] = [];
  private flushScheduled = false;
  private listening = false;
  private nextId = 1;
  private closed = false;
  private readonly flush = (): void => this.flushAll();

  constructor(private readonly onResult: (cb: (r: WindowResult) => void) => void, private readonly options: WsResultsOptions) {}

  register(app: TemplatedApp, path = '/ws/results'): void {
    const o = this.options;
    app.ws<Subscriber>(path, {
      maxPayloadLength: 1024,
      // uWS drops sends (close frames included) beyond its own limit: keep it above ours, so our 4009 close is delivered.
      maxBackpressure: o.maxBackpressure + 2 * o.maxFrameBytes + 4096,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        if (refuseUpgrade(res, req, o.allowedOrigins, o.authToken, this.counts)) return;
        if (this.closed) {
          this.counts.unavailable503++;
          send(res, '503 Service Unavailable', JSON_TYPE, '{"error":"the engine is not running"}', { 'Retry-After': '1' });
          return;
        }
        res.upgrade<Subscriber>(
          { id: this.nextId++, prefix: req.getQuery('key') ?? '', ws: undefined, pending: [], queued: false, closed: false },
          req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        const u = ws.getUserData();
        u.ws = ws;
        this.subs.push(u);
        // Registered on the first subscriber: results are built as objects only once someone listens.
        if (!this.listening) {
          this.listening = true;
          this.onResult((r) => this.offer(r));
        }
      },
      close: (ws) => {
        const u = ws.getUserData();
        u.closed = true;
        u.pending = [];
        const i = this.subs.indexOf(u);
        if (i >= 0) this.subs.splice(i, 1);
      },
      // Subscribers only listen; anything they send is ignored.
    });
    app.any(path, (res, req) => {
      if (req.getMethod() === 'get') send(res, '426 Upgrade Required', JSON_TYPE, '{"error":"WebSocket only"}', { Upgrade: 'websocket' });
      else methodNotAllowed(res);
    });
  }

  stats(): WsResultsStats {
    return { clients: this.subs.length, ...this.counts };
  }

  /** Send what is pending, then close every subscriber with 1001. */
  close(): void {
    this.closed = true;
    this.flushAll();
    for (const u of [...this.subs]) u.ws?.end(1001, 'engine stopping');
    this.subs.length = 0;
  }

  /** The onResult callback: O(subscribers), no I/O. */
  private offer(r: WindowResult): void {
    const subs = this.subs;
    if (subs.length === 0) return;
    let json: string | undefined;
    const key = r.key;
    for (let i = 0; i < subs.length; i++) {
      const u = subs[i]!;
      if (!key.startsWith(u.prefix)) continue;
      json ??= JSON.stringify(r);
      u.pending.push(json);
      if (!u.queued) {
        u.queued = true;
        this.dirty.push(u);
      }
    }
    if (json !== undefined && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private flushAll(): void {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    const limit = this.options.maxBackpressure;
    const maxFrame = this.options.maxFrameBytes;
    for (const u of dirty) {
      u.queued = false;
      const items = u.pending;
      u.pending = [];
      const ws = u.ws;
      if (u.closed || !ws) continue;
      let i = 0;
      while (i < items.length) {
        if (ws.getBufferedAmount() > limit) {
          this.tooSlow(u);
          break;
        }
        let j = i + 1;
        let bytes = 2 + items[i]!.length;
        while (j < items.length && bytes + items[j]!.length + 1 <= maxFrame) bytes += items[j++]!.length + 1;
        const text = `[${(i === 0 && j === items.length ? items : items.slice(i, j)).join(',')}]`;
        let r = 0;
        // Corked: we are outside any uWS callback here.
        ws.cork(() => { r = ws.send(text, false); });
        if (r === SEND_DROPPED) {
          this.tooSlow(u);
          break;
        }
        this.counts.framesSent++;
        this.counts.resultsSent += j - i;
        i = j;
      }
    }
  }

  private tooSlow(u: Subscriber): void {
    this.counts.slowDisconnects++;
    u.ws!.end(CLOSE_TOO_SLOW, 'too slow'); // runs the close handler at once
  }
}

const SEND_DROPPED = 2;
