#!/usr/bin/env node
// Import rules of src/ and workers/: no import circle, no import from a lower
// layer to a higher one, and nothing in src/ or workers/ reaching into bench/.
//
// Usage: node scripts/check-layers.mjs [ROOT]   (exit 1 and one line per
// problem when a rule is broken). test/unit/layers.test.ts runs it.
//
// Every relative string literal naming a .js/.ts module counts as an import,
// so `const m = '../../bench/x.js'; await import(m)` is seen too. Type-only
// imports count: a circle of types is still a circle a reader has to walk.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layer order, lowest first. A module may import its own layer or a lower
 * one, never a higher one. Each entry maps path prefixes (relative to the
 * root, '/' separators; the longest matching prefix wins) to a layer. To move
 * a folder, change its prefix here; to add one, give it a row.
 *
 *   errors       SabreError and its codes
 *   time         event time: durations, window specs, watermarks
 *   job          the pipeline API job modules import (builders, plan checks): data and types only
 *   state        window state and the window operator (keys, slots, timers,
 *                aggregates, fire kinds): plain arithmetic on typed arrays
 *   codec        frame layouts, record/result encodings and the input parsers
 *                by format, codec/json/ and codec/flat/ (a result frame
 *                carries state's fire kind, so codec sits above state)
 *   ring         shared-memory rings, doorbells, spinning and waiting
 *   metrics      shared counters, histograms, snapshots
 *   partition    the main thread's writer into the rings (counts records in
 *                the shared counters, so above metrics)
 *   options      option specs and their validation (src/options.ts, src/options/)
 *   checkpoint   snapshot files, manifests, the checkpoint coordinator
 *   operators    the worker operators' lifecycle interface and its operators
 *                (a worker's pipeline; they snapshot into checkpoint's files)
 *   io           sources, sinks, Kafka, the generator
 *   server       HTTP/WS: dashboard, metrics, push ingest
 *   engine       the main thread (src/engine/)
 *   workers      the worker entry; beside engine, see WORKERS_MAY_IMPORT
 *   cli          the `sabre` commands and the library's export list
 */
export const LAYERS = [
  ['errors', ['src/errors.ts']],
  ['time', ['src/time/']],
  ['job', ['src/job/']],
  ['state', ['src/state/']],
  ['codec', ['src/codec/']],
  ['ring', ['src/ring/']],
  ['metrics', ['src/metrics/']],
  ['partition', ['src/partition/']],
  ['options', ['src/options.ts', 'src/options/']],
  ['checkpoint', ['src/checkpoint/']],
  ['operators', ['src/operators/']],
  ['io', ['src/io/']],
  ['server', ['src/server/']],
  ['engine', ['src/engine/']],
  ['workers', ['workers/']],
  ['cli', ['src/cli/', 'src/index.ts']],
];

/**
 * workers/ sits beside the engine rather than above it: it may import these
 * layers and, of the engine, only the main-thread/worker contract module.
 */
export const WORKERS_MAY_IMPORT = ['errors', 'time', 'job', 'state', 'codec', 'ring', 'metrics', 'checkpoint', 'operators'];
export const WORKERS_MAY_IMPORT_MODULES = ['src/engine/worker-contract.ts'];

/** Folders scanned; imports into FORBIDDEN_TARGETS are always an error (the library must not reach into its benchmarks). */
const SCANNED = ['src', 'workers'];

/**
 * Known breaks another change in flight removes, as exact 'from -> to' edges:
 * reported, not failed. Delete an entry once it is gone (the checker says so).
 */
export const PENDING = [];
const FORBIDDEN_TARGETS = ['bench/'];
const SKIP = ['src/codec/flat/generated/']; // flatc output

const rank = new Map(LAYERS.map(([name], i) => [name, i]));

export function layerOf(file) {
  let best;
  let bestLen = -1;
  for (const [name, prefixes] of LAYERS) {
    for (const p of prefixes) {
      if ((file === p || (p.endsWith('/') && file.startsWith(p))) && p.length > bestLen) {
        best = name;
        bestLen = p.length;
      }
    }
  }
  return best;
}

function walk(root, dir, out) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return out;
  for (const name of readdirSync(abs)) {
    const rel = `${dir}/${name}`;
    if (SKIP.some((s) => rel.startsWith(s) || `${rel}/` === s)) continue;
    if (statSync(join(root, rel)).isDirectory()) walk(root, rel, out);
    else if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative module specifiers in a file's text: import/export ... from, import(), and any relative '*.js' literal. */
export function specifiers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set();
  // `new URL('../workers/x.js', import.meta.url)` names a file to start (a worker entry), it does not import it.
  const plain = code.replace(/new URL\(\s*['"][^'"]*['"]\s*,\s*import\.meta\.url\s*\)/g, '');
  for (const m of plain.matchAll(/['"](\.\.?\/[^'"\s]*?\.(?:js|ts|mjs))['"]/g)) found.add(m[1]);
  return [...found];
}

function toSource(root, fromFile, spec) {
  const target = resolve(dirname(join(root, fromFile)), spec);
  let rel = relative(root, target).split(sep).join('/');
  // Compiled layout: src/cli/main.ts runs as dist/src/cli/main.js, so '../../bench/x.js' means bench/x.ts.
  rel = rel.replace(/\.(js|mjs)$/, '.ts');
  return rel;
}

/** { problems, pending, stale }: broken rules, PENDING edges still present, PENDING edges no longer present. */
export function checkLayers(root) {
  const files = SCANNED.flatMap((d) => walk(root, d, []));
  const seen = new Set();
  const known = new Set(files);
  const edges = new Map(); // file -> Set(file)
  const problems = [];
  for (const f of files) {
    const targets = new Set();
    for (const spec of specifiers(readFileSync(join(root, f), 'utf8'))) {
      const t = toSource(root, f, spec);
      if (FORBIDDEN_TARGETS.some((p) => t.startsWith(p))) {
        problems.push(`forbidden: ${f} imports ${t} (${spec}); the library must not reach into bench/`);
        continue;
      }
      if (!known.has(t)) continue; // outside the scanned folders (e.g. node_modules, generated code)
      targets.add(t);
      seen.add(`${f} -> ${t}`);
      if (PENDING.includes(`${f} -> ${t}`)) continue;
      const from = layerOf(f);
      const to = layerOf(t);
      if (from === undefined) { problems.push(`unlayered: ${f} (add it to LAYERS in scripts/check-layers.mjs)`); continue; }
      if (to === undefined) continue; // reported once as unlayered for that file
      if (from === 'workers' && to !== 'workers') {
        if (!WORKERS_MAY_IMPORT.includes(to) && !WORKERS_MAY_IMPORT_MODULES.includes(t)) {
          problems.push(`upward: ${f} (workers) imports ${t} (${to}); workers may import ${WORKERS_MAY_IMPORT.join(', ')} and ${WORKERS_MAY_IMPORT_MODULES.join(', ')}`);
        }
      } else if (to === 'workers' && from !== 'workers') {
        problems.push(`upward: ${f} (${from}) imports ${t} (workers); share it through ${WORKERS_MAY_IMPORT_MODULES.join(', ')} instead`);
      } else if (rank.get(to) > rank.get(from)) {
        problems.push(`upward: ${f} (${from}) imports ${t} (${to})`);
      }
    }
    edges.set(f, targets);
  }
  for (const f of files) if (layerOf(f) === undefined) problems.push(`unlayered: ${f} (add it to LAYERS in scripts/check-layers.mjs)`);
  for (const cycle of cycles(edges)) problems.push(`circle: ${cycle.join(' -> ')}`);
  return {
    problems: [...new Set(problems)],
    pending: PENDING.filter((e) => seen.has(e)),
    stale: PENDING.filter((e) => !seen.has(e)),
  };
}

/** One circle per strongly connected component of more than one module (Tarjan), shown as a path back to its start. */
function cycles(edges) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || edges.get(v)?.has(v)) out.push(pathIn(new Set(comp), edges, v));
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** A shortest path from start back to start inside one component. */
function pathIn(comp, edges, start) {
  const prev = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of edges.get(v) ?? []) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = prev.get(x)) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [...comp, start];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const { problems, pending, stale } = checkLayers(root);
  for (const e of pending) process.stdout.write(`pending (allowed until its change lands): ${e}\n`);
  for (const e of stale) process.stdout.write(`pending entry no longer needed, delete it from PENDING: ${e}\n`);
  for (const p of problems) process.stdout.write(p + '\n');
  if (problems.length > 0) {
    process.stdout.write(`${problems.length} import rule(s) broken; the layer table is in scripts/check-layers.mjs\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('imports: no circle, nothing upward, nothing from bench/\n');
  }
}
