import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngest, type IngestFixture } from '../../helpers/ingest-server.js';

const T0 = 1_700_000_000_000;
const RECORD = JSON.stringify({ key: 'A', ts: T0, value: 1 });
let fx: IngestFixture;

beforeAll(async () => {
  fx = await startIngest({ authToken: 'tok-123', maxBody: '1KiB' });
});
afterAll(async () => { await fx?.stop(); });

function post(body: BodyInit, headers: Record<string, string>, extra: RequestInit = {}): Promise<Response> {
  return fetch(`${fx.base}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers }, ...extra });
}

describe('POST /ingest with --auth-token', () => {
  it('401 without the bearer token or with a wrong one, nothing written; 202 with it', async () => {
    const missing = await post(RECORD, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(RECORD, { Authorization: 'Bearer tok-12' })).status).toBe(401);
    expect((await post(RECORD, { Authorization: 'Basic dG9rLTEyMw==' })).status).toBe(401);
    expect(fx.httpPort.records).toBe(0);
    const ok = await post(RECORD, { Authorization: 'bearer tok-123' });
    expect(ok.status).toBe(202);
    expect(fx.httpPort.records).toBe(1);
    expect(fx.routes.stats().http.unauthorized401).toBe(3);
  });

  it('413 also for a streamed (chunked) body: bytes are counted while reading', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(300));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 10) c.enqueue(chunk);
        else c.close();
      },
    });
    const res = await post(stream, { Authorization: 'Bearer tok-123', 'Content-Type': 'application/x-ndjson' }, { duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(fx.routes.stats().http.tooLarge413).toBe(1);
    // A streamed body within the limit is taken.
    const small = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`${RECORD}\n`));
        c.enqueue(new TextEncoder().encode(`${RECORD}\n`));
        c.close();
      },
    });
    const ok = await post(small, { Authorization: 'Bearer tok-123', 'Content-Type': 'application/x-ndjson' }, { duplex: 'half' } as RequestInit);
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ accepted: 2 });
  });
});
