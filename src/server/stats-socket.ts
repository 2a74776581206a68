// WS /ws/stats: pushes the stats snapshot to every subscriber once per
// interval, never blocking and never buffering without bound. Per-socket
// state lives in typed user data. A client whose buffered amount is over
// the limit has that frame skipped (counted), and gets frames again once
// uWS drains its buffer (the drain handler only records the fact: the next
// tick sends as usual). The snapshot is built and serialised once per tick,
// and not at all while nobody listens.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { ServerStats, StatsSnapshot } from '../metrics/stats-snapshot.js';
import { detectUws } from '../metrics/uws-impl.js';
import { refuseForeignOrigin, type AllowedOrigins } from './origin.js';

export interface StatsSocketOptions {
  intervalMs: number;
  /** Skip a client's frame while more than this many bytes wait in its send buffer. */
  bufferLimit: number;
  /** --allowed-origins (besides the dashboard's own): what a browser page elsewhere may not open. */
  allowedOrigins?: AllowedOrigins;
}

export interface StatsClient {
  id: number;
  sent: number;
  skipped: number;
  drains: number;
}

// uWS send() results.
const SEND_DROPPED = 2;
/** Pushed snapshots kept for pushed(seq): a few seconds' worth at the default 1/s. */
const KEPT_PUSHES = 8;

export class StatsSocket {
  private readonly clients = new Set<WebSocket<StatsClient>>();
  // uWS's pure-Node fallback has neither custom upgrade handlers nor
  // getUserData(); only there does per-socket state live in this map.
  private readonly fallbackState: WeakMap<WebSocket<StatsClient>, StatsClient> | undefined =
    detectUws().implementation === 'fallback' ? new WeakMap() : undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  framesSent = 0;
  framesSkipped = 0;
  /** Upgrades refused with 403 (a browser's Origin that is not allowed). */
  forbidden403 = 0;
  ticks = 0;
  /** Snapshots built for pushing so far (the last one's sequence number). */
  pushes = 0;
  private readonly kept: { seq: number; json: string }[] = [];

  constructor(private readonly stats: () => StatsSnapshot, private readonly options: StatsSocketOptions) {}

  register(app: TemplatedApp, path = '/ws/stats'): void {
    app.ws<StatsClient>(path, {
      idleTimeout: 120,
      // uWS's own hard cap (it drops beyond it); our soft limit below is what normally applies.
      maxBackpressure: Math.max(this.options.bufferLimit * 4, 1 << 20),
      maxPayloadLength: 4096,
      // (The fallback cannot refuse an upgrade: there the origin check is not made.)
      upgrade: this.fallbackState ? undefined : (res, req, context) => {
        if (refuseForeignOrigin(res, req, this.options.allowedOrigins ?? [])) {
          this.forbidden403++;
          return;
        }
        res.upgrade<StatsClient>(this.newClient(),
          req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        this.fallbackState?.set(ws, this.newClient());
        this.clients.add(ws);
        this.push(ws, this.build());
      },
      drain: (ws) => { this.state(ws).drains++; },
      close: (ws) => { this.clients.delete(ws); },
      // Read-only: messages from clients are ignored.
    });
  }

  private newClient(): StatsClient {
    return { id: this.nextId++, sent: 0, skipped: 0, drains: 0 };
  }

  private state(ws: WebSocket<StatsClient>): StatsClient {
    return this.fallbackState?.get(ws) ?? ws.getUserData();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One broadcast round (the timer calls it; tests may call it directly). */
  tick(): void {
    this.ticks++;
    if (this.clients.size === 0) return;
    const json = this.build();
    for (const ws of this.clients) this.push(ws, json);
  }

  /** Build and serialise the next snapshot to push, numbered, and keep it for pushed(). */
  private build(): string {
    const seq = ++this.pushes;
    const s = this.stats();
    s.server = { ...(s.server ?? this.serverStats()), push: seq };
    const json = JSON.stringify(s);
    this.kept.push({ seq, json });
    if (this.kept.length > KEPT_PUSHES) this.kept.shift();
    return json;
  }

  /** The JSON of push `seq` exactly as it was sent, while it is among the last KEPT_PUSHES. */
  pushed(seq: number): string | undefined {
    return this.kept.find((k) => k.seq === seq)?.json;
  }

  private push(ws: WebSocket<StatsClient>, json: string): void {
    const u = this.state(ws);
    if (ws.getBufferedAmount() > this.options.bufferLimit) {
      u.skipped++;
      this.framesSkipped++;
      return;
    }
    let r = 0;
    // Corked: one syscall for the frame even though we are outside a uWS callback.
    ws.cork(() => { r = ws.send(json, false, false); });
    if (r === SEND_DROPPED) {
      u.skipped++;
      this.framesSkipped++;
    } else {
      u.sent++;
      this.framesSent++;
    }
  }

  /** Per-client figures (for tests and diagnostics). */
  clientStats(): (StatsClient & { bufferedAmount: number })[] {
    return [...this.clients].map((ws) => ({ ...this.state(ws), bufferedAmount: ws.getBufferedAmount() }));
  }

  serverStats(): ServerStats {
    return { wsClients: this.clients.size, wsFramesSent: this.framesSent, wsFramesSkipped: this.framesSkipped, wsForbidden403: this.forbidden403, push: 0 };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const ws of [...this.clients]) ws.close();
    this.clients.clear();
  }
}
