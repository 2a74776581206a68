// The cross-field rules resolveOptions (src/options.ts) applies after each
// option is valid on its own: --key-bytes against --keys and --ring-size, the
// bearer token's sources, and the transactional Kafka sink.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { readFileSync } from 'node:fs';
import { FRAME_HEADER_BYTES } from '../codec/frame.js';
import { recordBodyBytes } from '../codec/record-writer.js';
import { bad } from './flags.js';
import { KEY_PREFIX, isBuiltinGenerator, longestKeyBytes, type GeneratorKind } from './generator-keys.js';

/**
 * A transaction stays open about one checkpoint interval; Kafka aborts one
 * older than its transaction.max.timeout.ms (15 min by default), so the
 * interval must stay well below that.
 */
export const MAX_TRANSACTIONAL_CHECKPOINT_INTERVAL_MS = 5 * 60_000;

/**
 * --key-bytes pads generator keys: it cannot shorten one (the longest key of
 * --keys keys is the least it can be), and a record with the padded key must
 * fit a ring frame (a quarter of --ring-size).
 */
export function checkKeyBytes(out: Record<string, unknown>): void {
  const n = out.keyBytes as number;
  if (n === 0) return;
  if (!isBuiltinGenerator(out.generator as string)) {
    bad('keyBytes', `applies to the ${Object.keys(KEY_PREFIX).join(' and ')} generators, not ${String(out.generator)}; leave it out`);
  }
  const longest = longestKeyBytes(out.generator as GeneratorKind, out.keys as number);
  if (n < longest) {
    bad('keyBytes', `${n} is shorter than the longest key of --keys ${out.keys} (${longest} bytes, e.g. `
      + `"${KEY_PREFIX[out.generator as GeneratorKind]}${(out.keys as number) - 1}"); give at least ${longest} or 0 for unpadded keys`);
  }
  const frame = FRAME_HEADER_BYTES + recordBodyBytes(n);
  const ring = out.ringSize as number;
  if (frame > ring / 4) {
    let need = ring;
    while (frame > need / 4) need *= 2;
    bad('keyBytes', `a record with a ${n}-byte key is a ${frame}-byte frame, more than a quarter of --ring-size (${ring}); `
      + `raise --ring-size to ${need} or more, or use shorter keys`);
  }
}

/** Env variable the bearer token may come from, so that it is not on the command line (ps). */
export const AUTH_TOKEN_ENV = 'SABRE_AUTH_TOKEN';

/** The token: --auth-token, else the trimmed contents of --auth-token-file, else env SABRE_AUTH_TOKEN (ignored when empty). */
export function resolveAuthToken(out: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const file = out.authTokenFile as string | undefined;
  if (file !== undefined) {
    if (out.authToken !== undefined) bad('authTokenFile', 'and --auth-token both give the token; keep one (the file keeps it out of ps)');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      return bad('authTokenFile', `cannot read "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; give a readable file holding the token`);
    }
    const token = text.trim();
    if (token === '') bad('authTokenFile', `"${file}" is empty; put the token in it`);
    if (/\s/.test(token)) bad('authTokenFile', `"${file}" holds more than one word; a bearer token has no spaces or line breaks`);
    out.authToken = token;
    return;
  }
  const fromEnv = env[AUTH_TOKEN_ENV]?.trim();
  if (out.authToken === undefined && fromEnv) out.authToken = fromEnv;
}

/**
 * --sink-transactional: auto turns transactions on for a kafka: sink with
 * checkpoints (the Kafka counterpart of the file sink's part files); true
 * insists on them and says what is missing. The default transactional.id is
 * stable for one job (sink topic + absolute checkpoint directory), so a
 * restarted process fences the one it replaces.
 */
export function resolveTransactional(out: Record<string, unknown>): void {
  const mode = out.sinkTransactional as 'auto' | 'true' | 'false';
  const sink = out.sink as string;
  const kafka = sink.startsWith('kafka:') && sink.length > 6;
  const dir = out.checkpointDir as string | undefined;
  if (mode === 'true' && !kafka) {
    bad('sinkTransactional', `true needs a kafka:TOPIC sink, not "${sink}" (a file: sink with --checkpoint-dir is exactly-once already)`);
  }
  if (mode === 'true' && !dir) {
    bad('sinkTransactional', 'true needs --checkpoint-dir: each transaction commits with a checkpoint (or use --sink-transactional false)');
  }
  const on = mode === 'true' || (mode === 'auto' && kafka && dir !== undefined);
  out.sinkTransactional = on;
  if (!on) {
    if (out.transactionalId !== undefined) bad('transactionalId', 'applies only to a transactional Kafka sink (kafka:TOPIC with --checkpoint-dir)');
    return;
  }
  if ((out.checkpointInterval as number) > MAX_TRANSACTIONAL_CHECKPOINT_INTERVAL_MS) {
    bad('checkpointInterval', `${out.checkpointInterval} ms is too long for a transactional Kafka sink (at most `
      + `${MAX_TRANSACTIONAL_CHECKPOINT_INTERVAL_MS / 60_000} min: a transaction stays open for an interval and Kafka aborts old ones); `
      + 'checkpoint more often or use --sink-transactional false');
  }
  if (out.transactionalId === undefined) {
    out.transactionalId = out.changelog !== undefined
      ? memberTransactionalId(sink.slice('kafka:'.length), out.group as string, dir!)
      : defaultTransactionalId(sink.slice('kafka:'.length), dir!);
  }
}

/**
 * With --changelog a job is a consumer group of members, each with its own
 * transactions (two members sharing an id would fence each other): a member
 * is its group, machine and checkpoint directory, so a member restarted in
 * place fences the process it replaces and aborts its open transaction.
 */
export function memberTransactionalId(topic: string, group: string, dir: string): string {
  const hash = createHash('sha256').update(`${topic}\u0000${group}\u0000${hostname()}\u0000${resolvePath(dir)}`).digest('hex').slice(0, 12);
  return `sabre-${topic}-${hash}`;
}

/** The transactional.id of a run's Kafka transactions writing `topic` first, checkpointed in `dir`: stable for the job. */
export function defaultTransactionalId(topic: string, dir: string): string {
  const hash = createHash('sha256').update(`${topic}\u0000${resolvePath(dir)}`).digest('hex').slice(0, 12);
  return `sabre-${topic}-${hash}`;
}
