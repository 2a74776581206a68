// The Rust and Go references (native-bench/) as benchmark rows. Binaries are
// built by scripts/build-native.sh on first use. A missing toolchain skips the
// row with a message saying why, except when CI=true, where it fails the run:
// CI must not publish figures without their references.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export type NativeImpl = 'rust' | 'go';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const NATIVE_BIN: Record<NativeImpl, string> = {
  rust: join(ROOT, 'native-bench/rust/target/release/sabre-native-rust'),
  go: join(ROOT, 'native-bench/go/bin/sabre-native-go'),
};

export interface NativeJob {
  count: number;
  keys: number;
  seed?: number;
  disorder?: number;
  eventsPerMs?: number;
  windowMs?: number;
  outOfOrderness?: number;
}

export interface NativeResult {
  impl: NativeImpl;
  records: number;
  seconds: number;
  recordsPerSec: number;
  windowsFired: number;
  lateRecords: number;
}

const tried = new Map<NativeImpl, string | undefined>();

/** Build if needed; returns undefined when the binary is there, else why it is not. Throws under CI=true. */
export function ensureNative(impl: NativeImpl): string | undefined {
  if (tried.has(impl)) return tried.get(impl);
  let why: string | undefined;
  if (!existsSync(NATIVE_BIN[impl]) && !existsSync(join(ROOT, 'scripts/build-native.sh'))) {
    // An installed package (npm i sabre-stream) ships dist/ only, not the native sources.
    why = `${impl} reference skipped: ${join(ROOT, 'native-bench')} and scripts/build-native.sh are not in the installed package; run sabre bench from a checkout for the native rows`;
  } else if (!existsSync(NATIVE_BIN[impl])) {
    const r = spawnSync('bash', [join(ROOT, 'scripts/build-native.sh'), '--only', impl], { encoding: 'utf8' });
    if (!existsSync(NATIVE_BIN[impl])) {
      why = `${impl} reference skipped: scripts/build-native.sh --only ${impl} exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`;
    }
  }
  if (why !== undefined && process.env.CI === 'true') throw new Error(`${why} (CI=true: native references are required)`);
  tried.set(impl, why);
  return why;
}

export function nativeArgs(job: NativeJob): string[] {
  return [
    '--count', String(job.count), '--keys', String(job.keys), '--seed', String(job.seed ?? 42),
    '--disorder', String(job.disorder ?? 100), '--events-per-ms', String(job.eventsPerMs ?? 1000),
    '--window-ms', String(job.windowMs ?? 1000), '--out-of-orderness', String(job.outOfOrderness ?? 200),
  ];
}

/** One bench-mode run; undefined (with `skipped` set) when the reference is unavailable. */
export function runNative(impl: NativeImpl, job: NativeJob, extra: string[] = []): NativeResult | { skipped: string } {
  const why = ensureNative(impl);
  if (why !== undefined) return { skipped: why };
  const out = execFileSync(NATIVE_BIN[impl], [...nativeArgs(job), '--mode', 'bench', ...extra], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = out.trim().split('\n').pop()!;
  return JSON.parse(line) as NativeResult;
}

/** Results mode: writes the NDJSON windows to `output`. */
export function nativeResults(impl: NativeImpl, job: NativeJob, output: string, extra: string[] = []): NativeResult {
  const out = execFileSync(NATIVE_BIN[impl], [...nativeArgs(job), '--mode', 'results', '--output', output, ...extra], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as NativeResult;
}
