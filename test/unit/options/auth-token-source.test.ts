// The bearer token need not be on the command line (where `ps` shows it):
// --auth-token-file PATH (contents trimmed) or env SABRE_AUTH_TOKEN. A file
// that cannot be read or holds no token fails with ERR_INVALID_OPTION
// naming the file, before anything starts.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../../dist/src/index.js';
import { resolveOptions } from '../../../dist/src/options.js';
import { ndjson } from '../../helpers/ingest-server.js';

const dir = mkdtempSync(join(tmpdir(), 'sabre-token-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const invalid = (fn: () => unknown, text: RegExp): void => {
  expect(fn).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(text) }));
};

let engine: Engine | undefined;
afterEach(async () => { await engine?.stop(); engine = undefined; });

describe('--auth-token-file and SABRE_AUTH_TOKEN', () => {
  it('reads the token from the file (trimmed) or the environment; --auth-token wins over the environment', () => {
    expect(resolveOptions({ authTokenFile: file('t1', '  s3cret\n') }, {}).authToken).toBe('s3cret');
    expect(resolveOptions({}, { SABRE_AUTH_TOKEN: 'from-env\n' }).authToken).toBe('from-env');
    expect(resolveOptions({ authToken: 'flag' }, { SABRE_AUTH_TOKEN: 'from-env' }).authToken).toBe('flag');
    expect(resolveOptions({}, { SABRE_AUTH_TOKEN: '' }).authToken).toBeUndefined();
    expect(resolveOptions({}, {}).authToken).toBeUndefined();
  });

  it('a missing, unreadable or empty file, or a second source, is a clear ERR_INVALID_OPTION', () => {
    invalid(() => resolveOptions({ authTokenFile: join(dir, 'absent') }, {}), /--auth-token-file: cannot read .*absent.*ENOENT/);
    invalid(() => resolveOptions({ authTokenFile: dir }, {}), /--auth-token-file: cannot read .*EISDIR/);
    invalid(() => resolveOptions({ authTokenFile: file('empty', ' \n\n') }, {}), /--auth-token-file: .*empty/);
    invalid(() => resolveOptions({ authTokenFile: file('two', 'a b\n') }, {}), /--auth-token-file: .*more than one word/);
    invalid(() => resolveOptions({ authTokenFile: file('t2', 'x'), authToken: 'y' }, {}), /--auth-token-file: and --auth-token both/);
    if (process.getuid?.() !== 0) {
      const locked = file('locked', 'tok');
      chmodSync(locked, 0o000);
      invalid(() => resolveOptions({ authTokenFile: locked }, {}), /--auth-token-file: cannot read .*EACCES/);
    }
  });

  it('an engine given --auth-token-file requires that token on POST /ingest', async () => {
    engine = createEngine({ source: 'api', sink: 'null', lateOutput: 'null', progress: 0, httpListenPort: 0, authTokenFile: file('t3', 'tok-9\n') });
    await engine.start();
    const url = `http://127.0.0.1:${engine.httpPort}/ingest`;
    const post = (h: Record<string, string>) => fetch(url, { method: 'POST', body: ndjson(1), headers: { 'Content-Type': 'application/x-ndjson', ...h } });
    expect((await post({})).status).toBe(401);
    expect((await post({ Authorization: 'Bearer tok-9' })).status).toBe(202);
  });
});
