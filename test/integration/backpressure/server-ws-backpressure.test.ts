import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { startHttpServer, type HttpServer } from '../../../dist/src/server/http-server.js';
import { detectUws } from '../../../dist/src/metrics/uws-impl.js';
import { startFixture, type Fixture } from '../../helpers/metrics-fixture.js';

const LIMIT = 64 * 1024;

/** A WebSocket client on a raw TCP socket: it does the upgrade by hand and reads only when told to. */
class RawClient {
  frames: string[] = [];
  private buf = Buffer.alloc(0);
  private waiters: { n: number; resolve: () => void }[] = [];

  private constructor(readonly sock: net.Socket) {}

  static async connect(port: number): Promise<RawClient> {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const key = randomBytes(16).toString('base64');
    sock.write(`GET /ws/stats HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const c = new RawClient(sock);
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        c.buf = Buffer.concat([c.buf, d]);
        const end = c.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = c.buf.subarray(0, end).toString('latin1');
        c.buf = c.buf.subarray(end + 4);
        sock.off('data', onData);
        sock.pause(); // from here on nothing is read until resume()
        if (!/^HTTP\/1\.1 101/.test(head)) reject(new Error(head));
        else resolve();
      };
      sock.on('data', onData);
      sock.on('error', reject);
    });
    return c;
  }

  /** Start reading and decoding (unmasked server) frames. */
  resume(): void {
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
    this.parse();
    this.sock.resume();
  }

  /** Resolves once `n` frames have arrived in total. */
  until(n: number): Promise<void> {
    if (this.frames.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) break;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) break;
      const opcode = this.buf[0]! & 0x0f;
      if (opcode === 1) this.frames.push(this.buf.subarray(at, at + len).toString('utf8'));
      this.buf = this.buf.subarray(at + len);
    }
    this.waiters = this.waiters.filter((w) => {
      if (this.frames.length < w.n) return true;
      w.resolve();
      return false;
    });
  }
}

let fx: Fixture;
let server: HttpServer;

beforeAll(async () => {
  fx = await startFixture({ partitions: 64, workers: 2 }); // ~20 KB snapshots
  // The timer never fires during the test: frames are pushed by hand.
  server = await startHttpServer({
    listenPort: 0, stats: () => fx.hub.snapshot(), histogram: () => undefined, wsIntervalMs: 3_600_000, wsBufferLimit: LIMIT,
  });
  await fx.reported(1);
});

afterAll(async () => {
  server?.close();
  await fx?.close();
});

describe('WS /ws/stats backpressure', () => {
  it('skips frames for a client that does not read, keeps its buffer bounded, and resumes after drain', async () => {
    const client = await RawClient.connect(server.port);
    const frameBytes = JSON.stringify(fx.hub.snapshot()).length;
    expect(frameBytes).toBeGreaterThan(10_000);
    expect(server.wsStats().wsClients).toBe(1);

    // Far more than the kernel's socket buffers and our limit can hold.
    const pushes = 2000;
    let maxBuffered = 0;
    for (let i = 0; i < pushes; i++) {
      server.pushStats();
      maxBuffered = Math.max(maxBuffered, server.wsClients()[0]!.bufferedAmount);
    }
    const stalled = server.wsClients()[0]!;
    const ws = server.wsStats();
    expect(ws.wsFramesSkipped).toBeGreaterThan(0);
    expect(stalled.skipped).toBe(ws.wsFramesSkipped);
    expect(stalled.sent + stalled.skipped).toBe(pushes + 1); // +1: the frame sent on open
    expect(stalled.sent).toBeLessThan(pushes / 2);
    // Bounded: never more than the limit plus the one frame that crossed it.
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + frameBytes + 1024);
    expect(maxBuffered).toBeGreaterThan(0);

    // The client catches up: every frame that was sent arrives, uWS drains, and frames flow again.
    client.resume();
    await client.until(stalled.sent);
    expect(JSON.parse(client.frames[client.frames.length - 1]!).version).toBe(1);
    const caughtUp = server.wsClients()[0]!;
    expect(caughtUp.bufferedAmount).toBe(0);
    // uWS calls drain once its buffer empties (its pure-Node fallback has no drain event).
    if (detectUws().implementation === 'native') expect(caughtUp.drains).toBeGreaterThanOrEqual(1);
    server.pushStats();
    await client.until(stalled.sent + 1);
    expect(server.wsClients()[0]!.sent).toBe(stalled.sent + 1);
    expect(server.wsStats().wsFramesSkipped).toBe(ws.wsFramesSkipped);
    client.sock.destroy();
  });
});
