// Whether a user function may keep the record it is given past its call: an
// escape analysis of its source, done once per worker when a stage is built.
//
// A keyed process function is given the record it may store in its state,
// so the stage hands it a copy (RowView.toObject: a fresh object and an
// intern probe per string field, a fifth of market-bars' worker). But most
// onRecord functions only read fields of the record (`t.price`,
// `const { card } = t`) and keep the values, which are strings, numbers,
// booleans or null. Those can be given the worker's reused view instead: its
// getters read the same values in place while the call lasts. The analysis
// is conservative: anything it does not recognise as a plain field read
// (the record passed on, stored, spread, written, called through, closed
// over, `arguments`, `eval`, an async or generator function, source it
// cannot parse) means the record may escape, and the copy is made as before.
import { parse } from 'acorn';

/** An ESTree node as acorn gives it; the walk needs only its type and children. */
interface EsNode {
  readonly type: string;
  readonly [child: string]: unknown;
}

const isNode = (v: unknown): v is EsNode => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';

const FUNCTION_TYPES = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration']);

/** The function node of `fn`'s source (a function, an arrow or a method shorthand), or null if it does not parse as one. */
function functionNode(fn: (...args: never[]) => unknown): EsNode | null {
  const src = Function.prototype.toString.call(fn);
  // A function or arrow parses as an expression; a method (`onRecord(t, ctx) {…}`) as an object literal's member.
  for (const [text, pick] of [
    [`(${src})`, (e: EsNode) => e],
    [`({${src}})`, (e: EsNode) => ((e.properties as EsNode[])[0]?.value as EsNode | undefined) ?? e],
  ] as const) {
    let program: EsNode;
    try {
      program = parse(text, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as EsNode;
    } catch {
      continue;
    }
    const body = program.body as EsNode[];
    const stmt = body.length === 1 ? body[0]! : undefined;
    if (stmt?.type !== 'ExpressionStatement') continue;
    const node = pick(stmt.expression as EsNode);
    if (FUNCTION_TYPES.has(node.type)) return node;
  }
  return null;
}

/** A node on the walk's path, and the key of its parent it is under. */
interface Step {
  readonly node: EsNode;
  readonly key: string;
}

/**
 * Whether the member expression at path[i] (its object is the record) is
 * only read: not written, deleted, called through or a binding target.
 */
function isRead(path: readonly Step[], i: number): boolean {
  const parent = path[i - 1]?.node;
  const key = path[i]!.key;
  if (parent === undefined) return false;
  switch (parent.type) {
    case 'AssignmentExpression': return key !== 'left';
    case 'UpdateExpression': return false;
    case 'UnaryExpression': return parent.operator !== 'delete';
    // `t.f()` calls f with `this` = the record.
    case 'CallExpression': case 'NewExpression': return key !== 'callee';
    case 'TaggedTemplateExpression': return key !== 'tag';
    case 'ForInStatement': case 'ForOfStatement': return key !== 'left';
    // Binding targets: `[t.a] = xs`, `[t.a = 1] = xs`, `[...t.a] = xs`.
    case 'ArrayPattern': case 'RestElement': return false;
    case 'AssignmentPattern': return key !== 'left';
    // `{ x: t.a }` is a read in an object literal, a target in a pattern (`({ x: t.a } = o)`).
    case 'Property': return key !== 'value' || path[i - 2]?.node.type !== 'ObjectPattern';
    default: return true;
  }
}

/**
 * Whether `fn` may keep its argument number `index` (the record; default the
 * first) past the call, or write to it: false only when every use of it is a
 * field read in `fn`'s own body (not in a function nested in it, which may
 * run later).
 */
export function recordMayEscape(fn: (...args: never[]) => unknown, index = 0): boolean {
  const f = functionNode(fn);
  if (f === null || f.async === true || f.generator === true) return true;
  const params = f.params as EsNode[];
  // A rest parameter before or at `index` holds the record in an array.
  if (params.slice(0, index + 1).some((p) => p.type === 'RestElement')) return true;
  const param = params[index];
  // Not named: only `arguments` could reach it.
  if (param === undefined) return escapes(f, null);
  // Destructured in the parameter list: only its fields are bound (a rest element is a fresh object).
  if (param.type === 'ObjectPattern') return escapes(f, null);
  const id = param.type === 'AssignmentPattern' ? param.left as EsNode : param;
  if (id.type !== 'Identifier') return true;
  return escapes(f, id);
}

/** Walk f: true at the first use of the record (the identifier `id`; null: it has no name) that is not a field read, or at `arguments`, `eval` or `with`. */
function escapes(f: EsNode, id: EsNode | null): boolean {
  const name = id === null ? null : id.name as string;
  const path: Step[] = [];
  // Functions nested in f on the path: a use of the record inside one may run after the call.
  let nested = 0;
  const visit = (node: EsNode, key: string): boolean => {
    if (node.type === 'WithStatement') return true;
    if (node.type === 'Identifier' && node !== id) {
      const n = node.name as string;
      if (n === 'arguments' || n === 'eval') return true;
      if (n === name && isReference(path[path.length - 1]?.node, key)) {
        // A use of the record: only as the object of a member read or destructured by a declaration
        // (`const { a } = t`; a rest element is a fresh object), in f's own body.
        const parent = path[path.length - 1]?.node;
        if (nested > 0) return true;
        if (parent?.type === 'VariableDeclarator' && key === 'init') return (parent.id as EsNode).type !== 'ObjectPattern';
        // `{ ...t }` copies the fields into a fresh object (`[...t]` and `f(...t)` iterate it: not a read).
        if (parent?.type === 'SpreadElement') return path[path.length - 2]?.node.type !== 'ObjectExpression';
        return parent?.type !== 'MemberExpression' || key !== 'object' || !isRead(path, path.length - 1);
      }
      return false;
    }
    const fn = node !== f && FUNCTION_TYPES.has(node.type);
    if (fn) nested++;
    path.push({ node, key });
    let found = false;
    for (const k of Object.keys(node)) {
      const v = node[k];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c) && visit(c, k)) { found = true; break; }
      } else if (isNode(v)) {
        found = visit(v, k);
      }
      if (found) break;
    }
    path.pop();
    if (fn) nested--;
    return found;
  };
  return visit(f, '');
}

/** Whether an identifier at `parent[key]` names a variable (not a property name, a label or a non-computed key). */
function isReference(parent: EsNode | undefined, key: string): boolean {
  if (parent === undefined) return true;
  switch (parent.type) {
    case 'MemberExpression': return key === 'object' || parent.computed === true;
    case 'Property': case 'MethodDefinition': case 'PropertyDefinition':
      // `{ t }` (shorthand) uses t as a value; `{ t: 1 }` names a key.
      return key === 'value' || parent.computed === true || parent.shorthand === true;
    case 'LabeledStatement': case 'BreakStatement': case 'ContinueStatement': return false;
    default: return true;
  }
}
