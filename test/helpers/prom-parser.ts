// A small, strict parser for the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). It throws
// on anything a Prometheus server would reject: malformed names, labels or
// values, a sample whose family has no TYPE, a TYPE after the family's
// samples or declared twice, a duplicate series, summary samples without
// a quantile label, a counter sample that is negative.

export type PromType = 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: PromType;
  help?: string;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'summary', 'histogram', 'untyped']);

/** Go's ParseFloat, as Prometheus uses it: decimal/exponent numbers, NaN and ±Inf in any case. */
export function parseValue(s: string): number {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`bad value "${s}"`);
  return Number(s);
}

function familyOf(sample: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const f = families.get(sample);
  if (f) return f;
  for (const suffix of ['_sum', '_count', '_bucket']) {
    if (sample.endsWith(suffix)) {
      const base = families.get(sample.slice(0, -suffix.length));
      if (base && (base.type === 'summary' || base.type === 'histogram') && (suffix !== '_bucket' || base.type === 'histogram')) return base;
    }
  }
  return undefined;
}

function parseLabels(s: string, line: number): [Record<string, string>, number] {
  // s starts just after '{'; returns labels and the index after '}'.
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '}') return [labels, i + 1];
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(s.slice(i));
    if (!m) throw new Error(`line ${line}: bad label at "${s.slice(i, i + 20)}"`);
    const name = m[1]!;
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`line ${line}: bad label name ${name}`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    i += m[0].length;
    let v = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`line ${line}: bad escape \\${n}`);
        i += 2;
        continue;
      }
      v += c;
      i++;
    }
    labels[name] = v;
    i++;
    while (s[i] === ' ') i++;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`line ${line}: expected , or } after label ${name}`);
  }
}

export function parsePrometheus(text: string): Map<string, PromFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  const helps = new Map<string, string>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(raw);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name!)) throw new Error(`line ${line}: bad metric name ${name}`);
      if (kind === 'HELP') {
        if (helps.has(name!)) throw new Error(`line ${line}: second HELP for ${name}`);
        helps.set(name!, rest);
        const f = families.get(name!);
        if (f) f.help = rest;
        return;
      }
      if (!TYPES.has(rest)) throw new Error(`line ${line}: bad type ${rest}`);
      if (families.has(name!)) throw new Error(`line ${line}: second TYPE for ${name}`);
      families.set(name!, { name: name!, type: rest as PromType, help: helps.get(name!), samples: [] });
      return;
    }
    const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(raw);
    if (!nm) throw new Error(`line ${line}: bad sample "${raw}"`);
    const name = nm[1]!;
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const [l, end] = parseLabels(rest.slice(1), line);
      labels = l;
      rest = rest.slice(1 + end);
    }
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error(`line ${line}: bad sample "${raw}"`);
    const value = parseValue(parts[0]!);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp ${parts[1]}`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`line ${line}: sample ${name} has no TYPE before it`);
    if (f.type === 'summary' && name === f.name && !('quantile' in labels)) throw new Error(`line ${line}: summary sample without quantile`);
    if (f.type === 'counter' && value < 0) throw new Error(`line ${line}: negative counter`);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  // A family's samples must be contiguous: TYPE after samples of the same name would have failed above.
  return families;
}

/** The one sample of `name` whose labels include all of `labels`; throws when there is not exactly one. */
export function sample(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const all = [...families.values()].flatMap((f) => f.samples).filter((s) => s.name === name
    && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (all.length !== 1) throw new Error(`${all.length} samples of ${name} ${JSON.stringify(labels)}`);
  return all[0]!.value;
}

/** The metric families issue 3 requires, with their Prometheus types. */
export const REQUIRED_FAMILIES: Readonly<Record<string, string>> = {
  sabre_records_in_total: 'counter',
  sabre_records_out_total: 'counter',
  sabre_late_records_total: 'counter',
  sabre_dead_letter_total: 'counter',
  sabre_stage_latency_seconds: 'summary',
  sabre_gc_pause_seconds: 'summary',
  sabre_ring_occupancy_ratio: 'gauge',
  sabre_backpressure_seconds_total: 'counter',
  sabre_watermark_lag_seconds: 'gauge',
};
