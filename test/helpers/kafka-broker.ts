// Real Kafka broker for integration tests, driven by scripts/kafka/{up,down}.sh.
//
// - KAFKA_BROKERS set: use that cluster as-is; stop() never touches it.
// - otherwise: up.sh starts (or reuses) the single-node KRaft broker in .kafka/, on 9092
//   if 9092/9093 are free, else on a free port pair, so a test run never collides with
//   something else listening on 9092.
// - a broker that was already running (a dev's `up.sh`, or one left by a crashed run) is
//   reused and left running: startedByUs=false and stop() is a no-op.
//
// stopBroker()/startBroker() are for outage tests: they stop the local broker with data kept
// and start it again on the SAME port, so clients configured with the old address reconnect.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = path.join(ROOT, 'scripts', 'kafka');
// Cold machine: Maven fetch (~10-60 s) + broker start (5-10 s); up.sh itself gives up at 90 s.
const UP_TIMEOUT_MS = 240_000;
const DOWN_TIMEOUT_MS = 60_000;

export interface BrokerHandle {
  /** Comma-separated bootstrap list, e.g. "127.0.0.1:9092". */
  brokers: string;
  /** Stops the broker only if this call started it. */
  stop(): Promise<void>;
  startedByUs: boolean;
}

/** Port the local scripts-managed broker listens on, remembered for restarts. */
let localPort: number | undefined;

function runScript(script: string, args: string[] = [], env: Record<string, string> = {}, timeout = UP_TIMEOUT_MS) {
  return new Promise<string>((resolve, reject) => {
    execFile(
      'bash',
      [path.join(SCRIPTS, script), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`scripts/kafka/${script} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}


/** up.sh puts the controller on port+1, so both must be free. */
async function pickPort(): Promise<number> {
  if ((await portFree(9092)) && (await portFree(9093))) return 9092;
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port < 65535 && (await portFree(port + 1))) return port;
  }
  throw new Error('kafka-broker: no free port pair found on 127.0.0.1');
}

function parseBrokers(stdout: string): string {
  const m = /^KAFKA_BROKERS=(\S+)$/m.exec(stdout);
  if (!m) throw new Error(`kafka-broker: up.sh printed no KAFKA_BROKERS line:\n${stdout}`);
  return m[1]!;
}

async function up(port: number): Promise<{ brokers: string; alreadyRunning: boolean }> {
  const out = await runScript('up.sh', [], { KAFKA_PORT: String(port) });
  const brokers = parseBrokers(out);
  localPort = Number(brokers.split(':').pop());
  return { brokers, alreadyRunning: /already running/.test(out) };
}

export async function ensureBroker(): Promise<BrokerHandle> {
  const external = process.env.KAFKA_BROKERS;
  if (external) {
    return { brokers: external, startedByUs: false, stop: async () => {} };
  }
  const { brokers, alreadyRunning } = await up(await pickPort());
  const startedByUs = !alreadyRunning;
  return {
    brokers,
    startedByUs,
    stop: async () => {
      if (startedByUs) await stopBroker();
    },
  };
}

/**
 * Stops the local scripts-managed broker (SIGTERM, data kept). Works whether the broker
 * came from ensureBroker() or from a manual `up.sh` (e.g. with KAFKA_BROKERS pointing at it);
 * throws if no such broker is running, since an external cluster cannot be stopped here.
 */
export async function stopBroker(): Promise<void> {
  if (localPort === undefined) localPort = await recordedPort();
  const out = await runScript('down.sh', [], {}, DOWN_TIMEOUT_MS);
  if (/not running/.test(out)) {
    throw new Error('kafka-broker: no broker started by scripts/kafka/up.sh is running, nothing to stop');
  }
}

/** Starts the local broker again on the port it had before; resolves to the bootstrap list. */
export async function startBroker(): Promise<string> {
  const port = localPort ?? (await recordedPort()) ?? (await pickPort());
  return (await up(port)).brokers;
}

async function recordedPort(): Promise<number | undefined> {
  try {
    const port = Number((await readFile(path.join(ROOT, '.kafka', 'broker.port'), 'utf8')).trim());
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}
