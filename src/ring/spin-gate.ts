import { cpus } from 'node:os';

/**
 * Whether idle workers may poll their rings before they sleep (auto spin
 * only; docs/ARCHITECTURE.md, "Waiting"). A poll saves a wake-up only if the
 * poller has a core to itself: on a machine where other processes want the
 * CPUs too (a Kafka broker on the same host, a test suite, other tenants),
 * every microsecond a worker polls is taken from a thread with work — the
 * engine's own main thread included. So the engine samples the machine:
 * non-idle CPU time of all cores (os.cpus()) minus this process's own
 * (process.cpuUsage(), every thread, polls included) is what the others
 * used. Polling stays on while the others leave our threads their cores.
 *
 * Measured (2 vCPU, Kafka broker on the same host, 1M JSON records, W=1):
 * the worker polling cost Sabre's Kafka source 7% of its throughput.
 */
export class SpinGate {
  /** Cores the others may use before polling stops: the cores our threads leave free, at least a quarter core of noise. */
  readonly closeAbove: number;
  /** Polling resumes below this (hysteresis: a gate that flips every sample helps nobody). */
  readonly openBelow: number;
  open = true;
  /** Cores the other processes used over the last sample. */
  others = 0;

  constructor(cores: number, threads: number) {
    this.closeAbove = Math.max(0.25, cores - threads + 0.25);
    this.openBelow = this.closeAbove * 0.6;
  }

  /** One sample: machine-wide busy CPU ms and this process's CPU ms over `wallMs`. Returns whether polling is on. */
  update(machineBusyMs: number, ownMs: number, wallMs: number): boolean {
    if (wallMs <= 0) return this.open;
    this.others = Math.max(0, machineBusyMs - ownMs) / wallMs;
    if (this.open && this.others > this.closeAbove) this.open = false;
    else if (!this.open && this.others < this.openBelow) this.open = true;
    return this.open;
  }
}

/** Non-idle CPU ms of every core since boot (user + nice + sys + irq; steal is not in os.cpus()). */
export function machineBusyMs(): number {
  let busy = 0;
  for (const c of cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return busy;
}

/** This process's CPU ms, every thread. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
