// A TypeScript job module made importable: it and the relative .ts modules
// it imports are transpiled (types stripped, nothing checked) into a cache
// directory outside the user's tree, os.tmpdir()/sabre-jobs/<hash>/, named
// by a hash of every file's path and text, so an unchanged job is not
// written again and an edited one never meets a stale copy. Inside the
// output, 'sabre-stream' names this package's dist/src/index.js and relative
// specifiers name absolute file URLs (a .ts one: its transpiled copy), so the
// copies import the same modules as the originals. Inline source maps point
// at the original files: with source maps enabled, stack traces name them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type * as TS from 'typescript';
import { SabreError } from '../errors.js';

/**
 * TypeScript, loaded by the first .ts job (loadTypescript): it is a 9 MB
 * module whose load took ≈ 0.35 s of every `sabre` command, `--help` and
 * .mjs jobs included.
 */
let ts: typeof TS;

function loadTypescript(): void {
  ts ??= createRequire(import.meta.url)('typescript') as typeof TS;
}

/** The name job modules import the pipeline API by. */
export const PACKAGE_NAME = 'sabre-stream';

/** Part of the cache key: raise it when the copies' form changes, so no run imports a copy of the old form. */
const COPY_FORMAT = 1;

/** Extensions transpiled before import; others are imported as they are. */
export const TS_EXTENSIONS: readonly string[] = ['.ts', '.mts'];

export interface TranspiledJob {
  /** The file: URL of the entry module's transpiled copy. */
  readonly url: string;
  /** Transpiled file path → original file path (to name the originals in messages). */
  readonly originals: ReadonlyMap<string, string>;
}

interface Unit {
  readonly path: string;
  readonly text: string;
  /** Specifier as written → the absolute original path it names (relative specifiers only). */
  readonly relative: Map<string, string>;
  out: string;
}

/** The URL of this package's public entry (dist/src/index.js), whether this module runs from dist/ or from src/ (tests). */
export function packageEntryUrl(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
      return pathToFileURL(join(dir, 'dist', 'src', 'index.js')).href;
    }
    if (dirname(dir) === dir) throw new SabreError('ERR_INTERNAL', `cannot find the ${PACKAGE_NAME} package.json above ${fileURLToPath(import.meta.url)}`);
  }
}

/** The file a relative specifier names: a `.js` specifier of TypeScript code names the `.ts` file beside it when there is one. */
function target(from: string, spec: string): string {
  const abs = resolve(dirname(from), spec);
  const ext = extname(abs);
  if (ext === '.js' || ext === '.mjs') {
    const ts = abs.slice(0, -ext.length) + (ext === '.js' ? '.ts' : '.mts');
    if (existsSync(ts)) return ts;
  }
  return abs;
}

const isRelative = (spec: string): boolean => spec.startsWith('./') || spec.startsWith('../');
const isTs = (path: string): boolean => TS_EXTENSIONS.includes(extname(path)) && !path.endsWith('.d.ts');

function read(path: string, importedBy: string | undefined): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new SabreError('ERR_INVALID_JOB', importedBy ? `${importedBy}: cannot import ${path}: ${why}` : `${path}: ${why}`, { cause: e });
  }
}

/** Every .ts module of the job reachable through relative imports, the entry first. */
function collect(entry: string): Unit[] {
  const units = new Map<string, Unit>();
  const pending: [string, string | undefined][] = [[entry, undefined]];
  while (pending.length > 0) {
    const [path, importedBy] = pending.shift()!;
    if (units.has(path)) continue;
    const text = read(path, importedBy);
    const relative = new Map<string, string>();
    for (const f of ts.preProcessFile(text, true, true).importedFiles) {
      if (!isRelative(f.fileName)) continue;
      const abs = target(path, f.fileName);
      relative.set(f.fileName, abs);
      if (isTs(abs)) pending.push([abs, path]);
    }
    units.set(path, { path, text, relative, out: '' });
  }
  return [...units.values()];
}

/** ERR_INVALID_JOB `FILE:LINE:COL: message` for the first syntax error transpileModule found. */
function syntaxError(path: string, diagnostics: readonly TS.Diagnostic[]): SabreError {
  const d = diagnostics.find((x) => x.category === ts.DiagnosticCategory.Error) ?? diagnostics[0]!;
  const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (d.file === undefined || d.start === undefined) return new SabreError('ERR_INVALID_JOB', `${path}: ${msg}`);
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return new SabreError('ERR_INVALID_JOB', `${path}:${line + 1}:${character + 1}: ${msg}`);
}

/** A transformer that rewrites the module specifiers of import/export declarations and import() calls. */
function rewriter(map: (spec: string) => string): TS.TransformerFactory<TS.SourceFile> {
  return (ctx) => {
    const f = ctx.factory;
    const visit = (node: TS.Node): TS.Node => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, f.createStringLiteral(map(node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause,
          f.createStringLiteral(map(node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length >= 1
        && ts.isStringLiteralLike(node.arguments[0]!)) {
        const [spec, ...rest] = node.arguments;
        return f.updateCallExpression(node, node.expression, node.typeArguments, [f.createStringLiteral(map((spec as TS.StringLiteral).text)), ...rest]);
      }
      return ts.visitEachChild(node, visit, ctx);
    };
    return (sf) => ts.visitNode(sf, visit) as TS.SourceFile;
  };
}

/** Write `text` to `path` unless it is there: another run may be writing the same copy, so write aside and rename. */
function writeOnce(path: string, text: string): void {
  if (existsSync(path)) return;
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Transpile the job at `entry` (an absolute path to a .ts/.mts file) and the .ts modules it imports; returns the entry's URL. */
export function transpileJob(entry: string, cacheRoot: string = join(tmpdir(), 'sabre-jobs')): TranspiledJob {
  loadTypescript();
  const units = collect(entry);
  const sabre = packageEntryUrl();
  const hash = createHash('sha256').update(`${COPY_FORMAT}\0${ts.version}\0${sabre}\0`);
  for (const u of units) hash.update(`${u.path}\0${u.text}\0`);
  const dir = join(cacheRoot, hash.digest('hex').slice(0, 16));
  // Index-prefixed names: two helpers may share a base name in different folders.
  units.forEach((u, i) => { u.out = join(dir, `${i}-${basename(u.path, extname(u.path))}.mjs`); });
  const outOf = new Map(units.map((u) => [u.path, u.out]));
  const texts: string[] = [];
  for (const u of units) {
    const map = (spec: string): string => {
      if (spec === PACKAGE_NAME) return sabre;
      const abs = u.relative.get(spec);
      if (abs === undefined) return spec;
      return pathToFileURL(outOf.get(abs) ?? abs).href;
    };
    const r = ts.transpileModule(u.text, {
      fileName: u.path,
      reportDiagnostics: true,
      compilerOptions: {
        module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: true, inlineSources: true,
        esModuleInterop: true, useDefineForClassFields: true,
      },
      transformers: { after: [rewriter(map)] },
    });
    if (r.diagnostics && r.diagnostics.length > 0) throw syntaxError(u.path, r.diagnostics);
    // The map's source is the original file, relative to the copy (how Node and vitest's module runner both resolve it).
    const sm = JSON.parse(r.sourceMapText!) as { sources: string[]; sourceRoot?: string; file?: string };
    sm.sources = [relative(dir, u.path).split(sep).join('/')];
    sm.sourceRoot = '';
    sm.file = basename(u.out);
    const code = r.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
    texts.push(`${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(sm)).toString('base64')}\n`);
  }
  // Written only once every module transpiled: a syntax error leaves nothing behind.
  mkdirSync(dir, { recursive: true });
  units.forEach((u, i) => writeOnce(u.out, texts[i]!));
  return { url: pathToFileURL(units[0]!.out).href, originals: new Map(units.map((u) => [u.out, u.path])) };
}
