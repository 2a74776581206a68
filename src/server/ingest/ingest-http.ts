// POST /ingest: records over HTTP, written through an IngestPort.
//
//   Content-Type: application/json         one record
//                 application/x-ndjson     one record per line (blank lines ignored)
//                 application/x-flatbuffers a sabre.fb.RecordBatch
//   202 {accepted, rejected, errors:[{line|index, reason, detail}]}   bad records dead-lettered, good ones kept
//   403 an Origin header (a browser's request) from neither the dashboard's origin nor --allowed-origins
//   401 --auth-token set and no/wrong `Authorization: Bearer …`
//   413 body over --max-body (Content-Length checked up front, bytes counted while reading)
//   400 neither Content-Length nor Transfer-Encoding: chunked (uWS would read the body as the next request)
//   415 any other Content-Type (the body names the type received and the ones accepted)
//   503 + Retry-After: a ring stayed full for --ingest-timeout; the body says what was
//       accepted and how many records were not (reason ERR_RING_FULL, retryFrom); those
//       are also dead-lettered, reason refused-full (docs/INGEST.md)
//
// The body is read whole (bounded by --max-body), then written synchronously
// until done or a ring is full; then the request stops writing and awaits
// space (bounded by what is left of --ingest-timeout). onAborted is attached
// before any await; an aborted request cancels its wait (no timer survives)
// and is never written to.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { FlatInput } from '../../codec/flat/flat-input.js';
import { FlatReader } from '../../codec/flat/flat-reader.js';
import type { IngestPort } from '../../io/sources/ingest-port.js';
import { bearerOk, WWW_AUTHENTICATE } from '../bearer.js';
import { refuseForeignOrigin, type AllowedOrigins } from '../origin.js';
import { bodyKindOf, IngestBatch, type BodyKind, type FlatReaders } from './ingest-batch.js';
import { JSON_TYPE, methodNotAllowed } from '../respond.js';
import type { HttpIngestStats } from '../../metrics/stats-snapshot.js';

export type { HttpIngestStats };

export interface HttpIngestOptions {
  maxBody: number;
  /** ms a request may wait for ring space in total; 0 = answer 503 at once. */
  ingestTimeout: number;
  authToken: string | undefined;
  /** --allowed-origins (besides the dashboard's own). */
  allowedOrigins: AllowedOrigins;
}

/** Under load, records are published at most this often (see publishSoon). */
const PUBLISH_EVERY_MS = 1;

const SUPPORTED_TYPES = ['application/json', 'application/x-ndjson', 'application/x-flatbuffers'];

function unsupportedBody(received: string): string {
  return JSON.stringify({
    error: received === '' ? 'no Content-Type; send one of the supported types'
      : `unsupported Content-Type "${received}"; send one of the supported types`,
    reason: 'ERR_UNSUPPORTED_MEDIA_TYPE', received, supported: SUPPORTED_TYPES,
  });
}

const BAD_LENGTH = JSON.stringify({ error: 'Content-Length is not a decimal number of bytes', reason: 'ERR_BAD_REQUEST' });

/** Digits only, spaces around allowed (the one form of Content-Length RFC 9110 has). */
function isDecimal(s: string): boolean {
  const t = s.trim();
  if (t.length === 0) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const NO_LENGTH = JSON.stringify({
  error: 'a POST /ingest body needs a Content-Length or Transfer-Encoding: chunked', reason: 'ERR_BAD_REQUEST',
});

export class HttpIngest {
  readonly counts: Omit<HttpIngestStats, 'waiting'> = {
    requests: 0, accepted202: 0, badRequest400: 0, unauthorized401: 0, forbidden403: 0, tooLarge413: 0, unsupported415: 0,
    unavailable503: 0, recordsNotAccepted: 0, aborted: 0,
  };
  /** Requests past their body, waiting for ring space. */
  readonly inflight = new Set<IngestRequest>();
  readonly readers: FlatReaders = { fast: new FlatReader(), flat: new FlatInput() };
  closed = false;
  private publishScheduled = false;
  private lastPublish = 0;
  private readonly publishNow = (): void => {
    this.publishScheduled = false;
    this.lastPublish = performance.now();
    this.port.publish();
  };

  constructor(readonly port: IngestPort, readonly options: HttpIngestOptions, readonly accepting: () => boolean) {}

  /**
   * Make written records visible: at the end of this event-loop turn (uWS
   * handles every request that arrived in one poll before the check phase),
   * or, when the last publish was less than PUBLISH_EVERY_MS ago, that long
   * after it. A lone request is published microseconds after it was answered;
   * under load one publish — and at most one worker wake-up, a futex call
   * that measured 12% of the main thread at one per turn — covers a
   * millisecond of requests.
   */
  publishSoon(): void {
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    const since = performance.now() - this.lastPublish;
    if (since >= PUBLISH_EVERY_MS) setImmediate(this.publishNow);
    else setTimeout(this.publishNow, PUBLISH_EVERY_MS - since);
  }

  register(app: TemplatedApp): void {
    app.post('/ingest', (res, req) => this.handle(res, req));
    app.any('/ingest', (res) => methodNotAllowed(res, 'POST'));
  }

  stats(): HttpIngestStats {
    return { ...this.counts, waiting: this.inflight.size };
  }

  /** Answer every waiting request 503 (the engine is stopping); later requests get 503 at once. */
  close(): void {
    this.closed = true;
    for (const r of [...this.inflight]) r.giveUp('ERR_ENGINE_STATE');
  }

  private handle(res: HttpResponse, req: HttpRequest): void {
    const c = this.counts;
    c.requests++;
    const o = this.options;
    // Everything is answered from here without awaiting, or onAborted is attached below before the body is read.
    if (refuseForeignOrigin(res, req, o.allowedOrigins)) {
      c.forbidden403++;
      return;
    }
    if (o.authToken !== undefined && !bearerOk(req.getHeader('authorization'), o.authToken)) {
      c.unauthorized401++;
      reply(res, '401 Unauthorized', '{"error":"missing or wrong bearer token"}', WWW_AUTHENTICATE);
      return;
    }
    const type = req.getHeader('content-type');
    const kind = bodyKindOf(type);
    if (kind === undefined) {
      c.unsupported415++;
      reply(res, '415 Unsupported Media Type', unsupportedBody(type));
      return;
    }
    const cl = req.getHeader('content-length');
    // uWS reads a request without either as having no body, and whatever follows as the next request:
    // refuse it and close.
    if (cl === '' && req.getHeader('transfer-encoding') === '') {
      c.badRequest400++;
      reply(res, '400 Bad Request', NO_LENGTH, {}, true);
      return;
    }
    // uWS 20.30 calls this handler for a Content-Length that is not a decimal number, then closes the
    // connection before anything written here is sent (docs/INGEST.md): the 400 is counted, and would
    // reach the client from a uWS that sends it.
    if (cl !== '' && !isDecimal(cl)) {
      c.badRequest400++;
      reply(res, '400 Bad Request', BAD_LENGTH, {}, true);
      return;
    }
    const declared = cl === '' ? -1 : Number(cl);
    if (declared > o.maxBody) {
      c.tooLarge413++;
      // Close: the client need not upload the rest.
      reply(res, '413 Content Too Large', tooLargeBody(o.maxBody), {}, true);
      return;
    }
    if (this.closed || !this.accepting()) {
      c.unavailable503++;
      reply(res, '503 Service Unavailable', '{"error":"the engine is not running","reason":"ERR_ENGINE_STATE"}', { 'Retry-After': '1' });
      return;
    }
    const r = new IngestRequest(this, res, kind, Number.isFinite(declared) ? declared : -1);
    res.onAborted(() => r.abort());
    res.onData((chunk, isLast) => r.data(chunk, isLast));
  }
}

class IngestRequest {
  /** Answered or aborted: nothing may touch `res` any more. */
  private done = false;
  private body: Uint8Array | undefined;
  private received = 0;
  private batch: IngestBatch | undefined;
  private ac: AbortController | undefined;

  constructor(private readonly owner: HttpIngest, private readonly res: HttpResponse, private readonly kind: BodyKind,
    private readonly declared: number) {}

  data(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.done) return;
    const n = chunk.byteLength;
    const max = this.owner.options.maxBody;
    if (this.received + n > max) {
      this.owner.counts.tooLarge413++;
      this.finish('413 Content Too Large', tooLargeBody(max), {}, true);
      return;
    }
    if (isLast && this.received === 0) {
      // One chunk (the usual case): no copy; start() copies what must outlive this callback.
      this.start(new Uint8Array(chunk));
      return;
    }
    // uWS neuters `chunk` when this callback returns: copy it.
    if (!this.body || this.received + n > this.body.length) {
      const grown = new Uint8Array(Math.min(max, Math.max(this.declared, (this.received + n) * 2, 16 * 1024)));
      if (this.body) grown.set(this.body.subarray(0, this.received));
      this.body = grown;
    }
    this.body.set(new Uint8Array(chunk), this.received);
    this.received += n;
    if (isLast) this.start(this.body.subarray(0, this.received));
  }

  private start(body: Uint8Array): void {
    const { port, readers } = this.owner;
    const batch = IngestBatch.of(this.kind, body, 'http:/ingest');
    this.batch = batch;
    const p = batch.advance(port, readers);
    if (p < 0) {
      this.owner.publishSoon();
      this.accept();
      return;
    }
    batch.detach();
    void this.waitAndWrite(p);
  }

  /** A ring is full: stop writing, await space for what is left of the timeout, go on or give up. */
  private async waitAndWrite(full: number): Promise<void> {
    const owner = this.owner;
    const { port, readers } = owner;
    const batch = this.batch!;
    this.ac = new AbortController();
    owner.inflight.add(this);
    const deadline = performance.now() + owner.options.ingestTimeout;
    let p = full;
    try {
      while (p >= 0) {
        const left = deadline - performance.now();
        const outcome = left > 0 ? await port.waitForSpaceUntil(p, left, this.ac.signal) : 'timeout';
        if (this.done) return; // aborted by the client, or answered by close()
        if (outcome !== 'space') {
          this.giveUp('ERR_RING_FULL');
          return;
        }
        if (owner.closed || !owner.accepting()) {
          this.giveUp('ERR_ENGINE_STATE');
          return;
        }
        p = batch.advance(port, readers);
      }
      port.publish();
      this.accept();
    } catch (e) {
      // The writer failed (a worker crashed): what was written stays written; the rest is refused.
      if (!this.done) this.giveUp((e as { code?: string })?.code ?? 'ERR_INTERNAL');
    } finally {
      owner.inflight.delete(this);
    }
  }

  private accept(): void {
    const b = this.batch!;
    this.owner.counts.accepted202++;
    this.finish('202 Accepted', b.rejected === 0 ? `{"accepted":${b.accepted},"rejected":0,"errors":[]}` : JSON.stringify(b.summary()));
  }

  /**
   * 503: the records written so far stay accepted; the rest are counted as
   * refused and listed as not accepted. Refused after --ingest-timeout, they
   * are also dead-lettered (reason refused-full), so none is lost if the
   * client does not resend; refused because the engine is stopping or failed,
   * they are only counted (the dead-letter output may already be closed).
   */
  giveUp(reason: string): void {
    if (this.done) return;
    const owner = this.owner;
    const b = this.batch!;
    const notAccepted = b.remaining();
    owner.port.publish();
    owner.counts.unavailable503++;
    owner.counts.recordsNotAccepted += notAccepted;
    const detail = reason === 'ERR_RING_FULL'
      ? `the rings stayed full for ${owner.options.ingestTimeout} ms (--ingest-timeout); send the records not accepted again`
      : reason === 'ERR_ENGINE_STATE' ? 'the engine is stopping' : 'the engine failed';
    if (reason === 'ERR_RING_FULL') b.refuseRest(owner.port, owner.readers, `answered 503: ${detail}, from retryFrom on`);
    else owner.port.rejected += notAccepted;
    const body = { ...b.summary(), notAccepted, reason, detail, retryFrom: b.position() };
    const retry = String(Math.max(1, Math.ceil(owner.options.ingestTimeout / 1000)));
    this.finish('503 Service Unavailable', JSON.stringify(body), { 'Retry-After': retry });
    this.ac?.abort();
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.owner.counts.aborted++;
    this.owner.inflight.delete(this);
    this.ac?.abort(); // resolves the wait now: no timer outlives the request
  }

  private finish(status: string, body: string, headers: Record<string, string> = {}, close = false): void {
    this.done = true;
    const res = this.res;
    res.cork(() => reply(res, status, body, headers, close));
  }
}

function reply(res: HttpResponse, status: string, body: string, headers: Record<string, string> = {}, close = false): void {
  res.writeStatus(status).writeHeader('Content-Type', JSON_TYPE);
  for (const k in headers) res.writeHeader(k, headers[k]!);
  res.end(body, close);
}

function tooLargeBody(max: number): string {
  return `{"error":"the body is over --max-body (${max} bytes); send smaller batches"}`;
}
