// A real WebSocket client (the `ws` package, installed with uWebSockets.js)
// with promise helpers: the JSON text messages received, the close code, and
// the underlying TCP socket for tests that stop reading.
// @ts-expect-error -- `ws` ships no types here (only @types/node is installed)
import WebSocket from 'ws';
import type { Socket } from 'node:net';

interface RawWs {
  on(event: string, fn: (...args: any[]) => void): void;
  once(event: string, fn: (...args: any[]) => void): void;
  send(data: string | Uint8Array, opts?: { binary?: boolean }, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  readyState: number;
  _socket: Socket;
}

export interface Closed {
  code: number;
  reason: string;
}

export class WsClient {
  /** Text messages, parsed as JSON, in arrival order. */
  readonly messages: any[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { pred: (m: any) => boolean; from: number; resolve: (m: any) => void }[] = [];

  private constructor(readonly ws: RawWs) {
    this.closed = new Promise((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.messages.push(isBinary ? data : JSON.parse(data.toString('utf8')));
      this.waiters = this.waiters.filter((w) => {
        for (let i = w.from; i < this.messages.length; i++) {
          if (w.pred(this.messages[i])) {
            w.resolve(this.messages[i]);
            return false;
          }
        }
        return true;
      });
    });
  }

  /** Opens the connection; rejects with the HTTP status when the upgrade is refused. */
  static connect(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false }) as RawWs;
    const c = new WsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req: unknown, res: { statusCode: number }) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  /** The first message (from index `from` on) matching pred; waits for it. */
  next(pred: (m: any) => boolean = () => true, from = 0): Promise<any> {
    for (let i = from; i < this.messages.length; i++) if (pred(this.messages[i])) return Promise.resolve(this.messages[i]);
    return new Promise((resolve) => this.waiters.push({ pred, from, resolve }));
  }

  send(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(data, { binary: typeof data !== 'string' }, (e) => (e ? reject(e) : resolve())));
  }

  /** The TCP socket: pause() it to stop reading (the kernel buffers fill, then the server's). */
  get socket(): Socket {
    return this.ws._socket;
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
