/**
 * Safety checks run on every placed hunk, whatever placed it. Each turns a likely-wrong backport into a refusal
 * that names the check. They look only at the target tree, so they hold for any kernel branch:
 *   unknown-identifier  (C files) an identifier the added lines use is neither in the file nor in the code of any
 *                       header of the target, and the patch does not declare it
 *   missing-header      an added #include names a header the target tree does not have
 *   format-type         a printf-style specifier does not fit the declared type of its argument
 *   struct-member       the added lines use a member the target's struct definition does not have; each link of a
 *                       chain `a->b->c` is looked up in the struct the previous link's declared type names
 *   undeclared-local    the added lines use a local variable the enclosing function (after the patch) does not declare
 *   kconfig-symbol      an added Kconfig dependency or CONFIG_ use names a symbol no Kconfig file of the target defines
 *   call-arity          the added lines call a function or macro with a number of arguments other than the one every
 *                       definition, prototype and call of it in the target file agrees on (its signature differs there),
 *                       or, for a name the file never mentions, the one the headers it includes declare (includes.ts)
 *   duplicate-definition the added lines define at file scope a function the target file already defines
 *   removed-definition-in-use  a rule removed the target's own definition of a function or struct that the file
 *                       (after all hunks) or, for a non-static function, another file still uses where upstream did not
 *   return-skips-cleanup, lock-balance  (app/apply/flow-checks.ts) how the added lines leave the function and what
 *                       locks it holds, on the target's own function
 * Checks run on the file as it will be after all hunks of the file are applied, so a declaration added by a
 * sibling hunk counts; names declared by added lines anywhere in the patch count as known.
 *
 * When upstream's own tree BEFORE the change is known (`upstream`), a name the target lacks is judged by it:
 * upstream compiled after the change, so a name upstream's parent lacks too was introduced by the change itself
 * (by a hunk or file not in view), and is the change's business; a name upstream's parent already had is a
 * prerequisite the target is missing, and is refused as before. The same holds for struct members, locals of the
 * enclosing function and headers. For a local and for a changed call signature the unseen part must also be able to
 * port: the enclosing function up to the hunk, or the called function's declared heading, must be upstream's.
 */
import type { HunkLine } from '../core/patch.ts';
import type { TreeView } from '../core/tree.ts';
import { C_KEYWORDS, codeLines, codeText, declaredInCode, findCalls, gotoTargets, declaredNames, declaredType, enclosingFunctionStart, functionNameOf, identifiersOf, isDeclaredIn, type DeclaredType } from './c-syntax.ts';
import { lockBalance, returnSkipsCleanup, type UpstreamSide } from './flow-checks.ts';
import { includedHeaders } from './includes.ts';
import { excerpt } from './locate.ts';
import { readCached, sourcesIn } from './tree-cache.ts';
import { removedDeclarationInUse } from './removed-decl.ts';
import { hasWord } from './text.ts';
import { headersHaveWord } from './tree-dir.ts';
import type { HunkContext, Placement, Refusal } from './types.ts';

export interface CheckContext extends HunkContext {
  /** identifiers of the whole target file (before the patch) */
  fileWords: Set<string>;
  /** names declared by added lines anywhere in the patch (all files) */
  patchDeclared: Set<string>;
  /** the file after every hunk of it is applied, and where this hunk's post-image starts in it */
  newLines: string[];
  newStart: number;
  /** refuse identifiers that exist nowhere on the target (default true) */
  strictIdentifiers: boolean;
  /** upstream's tree before the change, and its version of this file (null when upstream's file is unknown) */
  upstream?: UpstreamFile;
}

/** Upstream's side of one file: the tree the change was made on, and the file's text there. */
export interface UpstreamFile {
  tree: TreeView;
  lines: string[] | null;
  words: Set<string>;
}

/** Did upstream have `id` before the change (in its version of the file, or in some header of its tree)? */
async function upstreamHad(up: UpstreamFile, id: string): Promise<boolean> {
  if (up.words.has(id)) return true;
  if (await headersHaveWord(up.tree, id)) return true;
  return id.startsWith('CONFIG_') && headersHaveWord(up.tree, id.slice(7));
}

export function wordsOf(text: string): Set<string> {
  return new Set(text.match(/[A-Za-z_]\w*/g) ?? []);
}

/** Code of each hunk line, with block comments tracked through the whole hunk. */
function hunkCode(lines: HunkLine[]): string[] {
  return codeLines(lines.map((l) => l.text));
}

export async function checkPlacement(p: Placement, ctx: CheckContext): Promise<Refusal | null> {
  const code = hunkCode(p.lines);
  const addedIdx = p.lines.flatMap((l, i) => (l.op === '+' ? [i] : []));
  const where = { file: p.path, hunk: ctx.hunkNo, targetExcerpt: excerpt(ctx.text.lines, p.start, p.lines.filter((l) => l.op !== '+').length) };
  // a hunk that only removes lines can still unbalance a lock
  // a removal of the target's own definition is judged on what remains, whatever the hunk adds
  const defInUse = await removedDefinitionInUse(p, ctx, where);
  if (defInUse) return defInUse;
  if (!addedIdx.length) return /\.[ch]$/.test(p.path) ? lockBalance(ctx.text.lines, ctx.newLines, p.lines, p.start, ctx.newStart, where, upstreamSide(ctx)) : null;
  const addedCode = addedIdx.map((i) => code[i]);
  const scope = functionScope(p, ctx);
  return (
    (ctx.strictIdentifiers && /\.[ch]$/.test(p.path) ? await unknownIdentifier(addedCode, ctx, where) : null) ??
    (await missingHeader(p, ctx, where)) ??
    (await kconfigSymbol(p, addedCode, ctx, where)) ??
    (inFunctionCode(p, ctx) ? undeclaredLocal(p, addedCode, scope, ctx, where) : null) ??
    (/\.[ch]$/.test(p.path) ? await callArity(p, code, ctx, where) : null) ??
    (/\.[ch]$/.test(p.path) ? duplicateDefinition(p, ctx, where) : null) ??
    formatType(p, scope, ctx, where) ??
    (await structMember(p, code, scope, ctx, where)) ??
    // "a hunk not in view removes the other uses" is trusted only for a hunk placed on upstream's own context (see
    // duplicateDefinition): after a rule loosened the context, the target's function is shown to differ there
    (/\.[ch]$/.test(p.path) ? removedDeclarationInUse(p.lines, ctx.newLines, ctx.newStart, where, p.method === 'rules' ? undefined : upstreamSide(ctx)) : null) ??
    (/\.[ch]$/.test(p.path) ? returnSkipsCleanup(ctx.newLines, p.lines.filter((l) => l.op !== '-'), ctx.newStart, where) : null) ??
    (/\.[ch]$/.test(p.path) ? lockBalance(ctx.text.lines, ctx.newLines, p.lines, p.start, ctx.newStart, where, upstreamSide(ctx)) : null)
  );
}

/**
 * Code of the enclosing function in the patched file, from its heading to this hunk's last added line (trailing
 * context may already close the function, so it must not decide where the function is).
 */
function functionScope(p: Placement, ctx: CheckContext): string[] {
  const post = p.lines.filter((l) => l.op !== '-');
  const lastAdded = post.map((l) => l.op).lastIndexOf('+');
  const end = ctx.newStart + lastAdded + 1;
  const fn = enclosingFunctionStart(ctx.newLines, end);
  return fn >= 0 ? codeLines(ctx.newLines.slice(fn, end)) : codeLines(ctx.newLines.slice(ctx.newStart, end));
}

type Where = Pick<Refusal, 'file' | 'hunk' | 'targetExcerpt'>;

async function unknownIdentifier(addedCode: string[], ctx: CheckContext, where: Where): Promise<Refusal | null> {
  const declared = declaredNames(addedCode);
  const seen = new Set<string>();
  for (const id of addedCode.flatMap(identifiersOf)) {
    if (seen.has(id) || declared.has(id) || ctx.patchDeclared.has(id) || ctx.fileWords.has(id)) continue;
    seen.add(id);
    if (await headersHaveWord(ctx.tree, id)) continue;
    if (id.startsWith('CONFIG_') && (await headersHaveWord(ctx.tree, id.slice(7)))) continue;
    if (ctx.upstream) {
      if (!(await upstreamHad(ctx.upstream, id))) continue; // introduced by the change itself
      return { check: 'unknown-identifier', reason: `\`${id}\`, used by the added lines, exists upstream before this change but nowhere on the target: a missing prerequisite`, ...where };
    }
    return { check: 'unknown-identifier', reason: `\`${id}\`, used by the added lines, is declared neither in the file nor in any header of the target`, ...where };
  }
  return null;
}

/** keyed by the file list itself: trees sharing one list (overlays of one kernel) share the index */
const headerSets = new WeakMap<string[], { all: Set<string>; asm: Set<string> }>();

async function headersOf(tree: TreeView) {
  const files = await tree.listFiles();
  let h = headerSets.get(files);
  if (!h) {
    const all = new Set(files);
    const asm = new Set<string>();
    for (const f of files) {
      const m = /^arch\/[^/]+\/include\/(?:uapi\/)?(asm\/.+)$/.exec(f) ?? /^include\/(?:uapi\/)?asm-generic\/(.+)$/.exec(f);
      if (m) asm.add(m[1].startsWith('asm/') ? m[1] : `asm/${m[1]}`);
    }
    h = { all, asm };
    headerSets.set(files, h);
  }
  return h;
}

async function missingHeader(p: Placement, ctx: CheckContext, where: Where): Promise<Refusal | null> {
  for (const l of p.lines) {
    if (l.op !== '+') continue;
    const m = /^\s*#\s*include\s*([<"])([^>"]+)[>"]/.exec(l.text);
    if (!m) continue;
    const name = m[2].trim();
    if (ctx.text.lines.some((t) => t.includes(`${m[1]}${name}`))) continue;
    if (await treeHasHeader(ctx.tree, m[1], name, p.path)) continue;
    // a header upstream's tree lacked before the change is one the change itself adds
    if (ctx.upstream && !(await treeHasHeader(ctx.upstream.tree, m[1], name, ctx.upstreamPath))) continue;
    return { check: 'missing-header', reason: `the added lines include ${m[1]}${name}${m[1] === '<' ? '>' : '"'}, which the target tree does not have`, ...where };
  }
  return null;
}

export async function treeHasHeader(tree: TreeView, kind: string, name: string, path: string): Promise<boolean> {
  const { all, asm } = await headersOf(tree);
  if (kind === '<') return all.has(`include/${name}`) || all.has(`include/uapi/${name}`) || asm.has(name) || [...arches(all)].some((a) => all.has(`arch/${a}/include/${name}`));
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  return all.has(normalizePath(dir ? `${dir}/${name}` : name)) || all.has(`include/${name}`);
}

function arches(all: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const f of all) {
    const m = /^arch\/([^/]+)\/include\//.exec(f);
    if (m) out.add(m[1]);
    if (out.size > 40) break;
  }
  return out;
}

function normalizePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

type TypeClass = 'int' | 'long' | 'llong' | 'size' | 'pointer' | 'string';

const INT_TYPES = new Set(
  'int|unsigned int|unsigned|signed|signed int|u32|s32|__u32|__s32|u16|s16|__u16|__s16|u8|s8|__u8|__s8|short|unsigned short|char|unsigned char|bool|uint32_t|int32_t|uint16_t|int16_t|uint8_t|int8_t'.split('|'),
);
const LONG_TYPES = new Set('long|unsigned long|long int|unsigned long int|ulong'.split('|'));
const LLONG_TYPES = new Set('u64|s64|__u64|__s64|long long|unsigned long long|uint64_t|int64_t'.split('|'));
const SIZE_TYPES = new Set(['size_t', 'ssize_t']);

function classOfType(t: DeclaredType): TypeClass | null {
  if (t.pointer > 0) return t.pointer === 1 && /^(unsigned )?char$/.test(t.base) ? 'string' : 'pointer';
  const b = t.base.replace(/\s+/g, ' ');
  if (INT_TYPES.has(b)) return 'int';
  if (LONG_TYPES.has(b)) return 'long';
  if (LLONG_TYPES.has(b)) return 'llong';
  if (SIZE_TYPES.has(b)) return 'size';
  return null;
}

function classOfSpec(len: string, conv: string): TypeClass | null {
  if (conv === 'p') return 'pointer';
  if (conv === 's') return 'string';
  if (!/[diouxXc]/.test(conv)) return null;
  if (len === '' || len === 'h' || len === 'hh') return 'int';
  if (len === 'l') return 'long';
  if (len === 'll' || len === 'L') return 'llong';
  if (len === 'z') return 'size';
  return null;
}

function compatible(spec: TypeClass, type: TypeClass): boolean {
  if (spec === type) return true;
  if (spec === 'pointer') return type === 'string';
  return false;
}

/** Split call arguments at top-level commas, up to the closing parenthesis of the call. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    }
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

function formatType(p: Placement, scope: string[], ctx: CheckContext, where: Where): Refusal | null {
  const postLines = p.lines.filter((l) => l.op !== '-');
  const postRaw = postLines.map((l) => l.text);
  for (let i = 0; i < postRaw.length; i++) {
    if (postLines[i].op !== '+') continue;
    const line = postRaw[i];
    const m = /"((?:\\.|[^"\\])*)"\s*,/.exec(line);
    if (!m || !m[1].includes('%')) continue;
    // the call may continue on the next lines
    let rest = line.slice(m.index + m[0].length);
    for (let k = i + 1; k < postRaw.length && k < i + 4 && (rest.match(/\(/g)?.length ?? 0) >= (rest.match(/\)/g)?.length ?? 0); k++) rest += ' ' + postRaw[k].trim();
    const args = splitArgs(rest);
    const specs = [...m[1].matchAll(/%([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*))?(hh|h|ll|l|L|z|t|j)?([diouxXcspn%])/g)];
    let a = 0;
    for (const s of specs) {
      if (s[5] === '%') continue;
      if (s[2] === '*') a++;
      if (s[3] === '*') a++;
      const arg = args[a++];
      if (!arg || !/^[A-Za-z_]\w*$/.test(arg)) continue;
      const t = declaredType(scope, arg);
      if (!t) continue;
      const tc = classOfType(t);
      const sc = classOfSpec(s[4] ?? '', s[5]);
      if (!tc || !sc || compatible(sc, tc)) continue;
      return {
        check: 'format-type',
        reason: `\`${s[0]}\` prints \`${arg}\`, declared on the target as \`${t.base}${'*'.repeat(t.pointer)}\``,
        ...where,
      };
    }
  }
  return null;
}

const structCache = new WeakMap<TreeView, Map<string, Promise<string | null>>>();

/** Body of `struct name { ... }` on the target: the file itself first, then headers that mention the name. */
function structBody(tree: TreeView, name: string, fileText: string): Promise<string | null> {
  const own = bodyIn(fileText, name);
  if (own !== null) return Promise.resolve(own);
  let cache = structCache.get(tree);
  if (!cache) structCache.set(tree, (cache = new Map()));
  let r = cache.get(name);
  if (!r) {
    r = (async () => {
      const files = (await tree.filesWithWord(name)).filter((f) => f.endsWith('.h'));
      if (files.length > 400) return null;
      for (const f of files) {
        const t = await tree.read(f);
        const b = t === null ? null : bodyIn(t, name);
        if (b !== null) return b;
      }
      return null;
    })();
    cache.set(name, r);
  }
  return r;
}

/** Body of `struct name { ... }` in the file itself or a header it includes (see includes.ts), or null. */
async function structBodyNear(tree: TreeView, path: string, lines: string[], name: string, fileText: string): Promise<string | null> {
  const own = bodyIn(fileText, name);
  if (own !== null) return own;
  for (const h of await includedHeaders(tree, path, lines)) {
    if (!hasWord(h.raw, name)) continue;
    const b = bodyIn(h.raw, name);
    if (b !== null) return b;
  }
  return null;
}

function bodyIn(text: string, name: string): string | null {
  const m = new RegExp(`\\bstruct\\s+${name}\\s*\\{`).exec(text);
  if (!m) return null;
  let depth = 0;
  for (let i = m.index + m[0].length - 1; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(m.index, i + 1);
  }
  return null;
}

async function structMember(p: Placement, code: string[], scope: string[], ctx: CheckContext, where: Where): Promise<Refusal | null> {
  let fileText: string | null = null;
  for (const [i, l] of p.lines.entries()) {
    if (l.op !== '+') continue;
    // a chain `base->a->b.c`: each link is judged in the struct the previous link's declared type names
    for (const m of code[i].matchAll(/(?<![\w.>])([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)+)/g)) {
      const base = m[1];
      const links = [...m[2].matchAll(/(->|\.)\s*([A-Za-z_]\w*)/g)].map((x) => ({ op: x[1], member: x[2] }));
      let t = declaredType(scope, base);
      let expr = base;
      for (const [k, { op, member }] of links.entries()) {
        if (!t || !t.base.startsWith('struct ')) break;
        if ((op === '->') !== (t.pointer === 1)) break;
        if (ctx.patchDeclared.has(member)) break;
        const sname = t.base.slice(7).trim();
        fileText ??= ctx.text.lines.join('\n');
        // a first member the file mentions elsewhere is looked up only where the file gets its declarations (the
        // file and the headers it includes), not tree-wide: most such links are fine, and a tree-wide search per
        // member would cost a second each
        const near = k === 0 && ctx.fileWords.has(member);
        const body = near ? await structBodyNear(ctx.tree, p.path, ctx.text.lines, sname, fileText) : await structBody(ctx.tree, sname, fileText);
        if (body === null) break;
        if (!hasWord(body, member)) {
          if (ctx.upstream && !(await upstreamStructHas(ctx.upstream, sname, member))) break; // the change adds it
          return { check: 'struct-member', reason: `\`${expr}${op}${member}\`: struct ${sname} has no member \`${member}\` on the target`, ...where };
        }
        expr += op + member;
        t = declaredType(codeLines(body.split('\n')), member);
      }
    }
  }
  return null;
}

/** Two runs of lines equal as code: comments, blank lines and whitespace set aside. */
function sameCode(a: string[], b: string[]): boolean {
  const norm = (t: string[]) => codeLines(t).map(canonicalWs).filter(Boolean).join('\n');
  return norm(a) === norm(b);
}

/** Did upstream's struct have the member before the change? Unknown struct: assume it did (no evidence). */
async function upstreamStructHas(up: UpstreamFile, sname: string, member: string): Promise<boolean> {
  const body = await structBody(up.tree, sname, up.lines?.join('\n') ?? '');
  return body === null || hasWord(body, member);
}

/** Names the target file declares inside functions (locals) and at file scope, computed once per file text. */
const fileDecls = new WeakMap<string[], { locals: Set<string>; fileScope: Set<string> }>();

function declarationsOf(lines: string[]) {
  let d = fileDecls.get(lines);
  if (!d) {
    const locals = new Set<string>();
    const fileScope = new Set<string>();
    const codes = codeLines(lines);
    for (const [i, c] of codes.entries()) {
      const def = /^\s*#\s*define\s+([A-Za-z_]\w*)/.exec(c);
      if (def) fileScope.add(def[1]);
      if (/^\s/.test(lines[i])) {
        for (const n of declaredInCode(c)) locals.add(n);
        continue;
      }
      // a function heading at column 0: its parameters are locals of that function, its name is file scope
      const paren = def ? -1 : c.indexOf('(');
      const head = paren > 0 && functionNameOf(c) ? c.slice(0, paren) : c;
      for (const n of declaredInCode(head)) fileScope.add(n);
      if (head !== c) for (const n of declaredInCode(c.slice(paren))) locals.add(n);
      if (head !== c) fileScope.add(functionNameOf(c)!);
    }
    d = { locals, fileScope };
    fileDecls.set(lines, d);
  }
  return d;
}

/**
 * A name the file uses only as a local variable elsewhere, used here as a variable (x->, x., x =, &x, x[) but not
 * declared in this function after the patch: the backport lacks a declaration upstream had.
 */
function undeclaredLocal(p: Placement, addedCode: string[], scope: string[], ctx: CheckContext, where: Where): Refusal | null {
  const { locals, fileScope } = declarationsOf(ctx.text.lines);
  // names the added code declares itself (locals, a #define's parameters) are not the function's business, nor
  // are goto targets (labels have checks of their own)
  const checked = new Set([...declaredNames(addedCode), ...gotoTargets(addedCode)]);
  for (const [ci, c] of addedCode.entries()) {
    for (const m of c.matchAll(/(?<![\w.>])(&?)\s*\b([a-z_][a-z0-9_]*)\b\s*(->|\.(?!\.)|=(?!=)|\[)?/g)) {
      const name = m[2];
      // a bare argument of a call, `f(a, name)`: a variable's value passed on (the seed's `attrs`)
      const at = m.index + m[0].indexOf(name);
      const bareArg = !m[1] && !m[3] && /[(,]\s*$/.test(c.slice(0, at)) && /^\s*[,)]/.test(c.slice(m.index + m[0].length));
      if (!m[1] && !m[3] && !bareArg) continue;
      // the call may have opened on an earlier added line
      if (bareArg && isMemberArgument([...addedCode.slice(0, ci), c.slice(0, at)].join('\n'), at + addedCode.slice(0, ci).reduce((n, l) => n + l.length + 1, 0))) continue;
      if (checked.has(name) || C_KEYWORDS.has(name)) continue;
      checked.add(name);
      // known as a local elsewhere in the file, or unknown to the file and assigned here like a local
      const localName = locals.has(name) || (!bareArg && !ctx.fileWords.has(name) && !ctx.patchDeclared.has(name) && m[3] === '=');
      if (!localName || fileScope.has(name)) continue;
      if (isDeclaredIn(scope, name)) continue;
      // upstream's function lacked it before the change too: the change declares it, in a hunk not in view. That
      // hunk lands in the same function, so it ports as upstream wrote it only if the function, up to here, is
      // upstream's; where the target's function differs, the declaration is not ours to assume.
      const upScope = ctx.upstream ? upstreamScope(ctx) : null;
      if (upScope && !isDeclaredIn(upScope, name)) {
        const pre = functionPrefixes(p, ctx);
        if (!pre || sameCode(pre.up, pre.target)) continue;
        return { check: 'undeclared-local', reason: `\`${name}\` is declared neither in the enclosing function on the target nor before the change upstream, and the target's function differs from upstream's: the change's declaration of it may not port`, ...where };
      }
      return { check: 'undeclared-local', reason: `\`${name}\` is not declared in the enclosing function on the target`, ...where };
    }
  }
  return upstreamLocal(addedCode, scope, fileScope, ctx, where);
}

/** Where `lines` use `name` in code: the enclosing function's name, or '' at file scope. */
function usersOf(lines: string[], name: string): Set<string> {
  const out = new Set<string>();
  codeLines(lines).forEach((c, i) => {
    if (!hasWord(c, name)) return;
    const fn = enclosingFunctionStart(lines, i + 1);
    out.add(fn >= 0 ? (functionNameOf(lines[fn]) ?? '') : '');
  });
  return out;
}

/**
 * A placement that removes the target's own definition of a function or struct (removed-definition): nothing may
 * still use the name - in this file after all its hunks, except in a function that used it upstream too (the change
 * removes that use in a hunk not in view), nor, for a function other files can call, in another file of the target
 * that upstream's tree did not also have using it.
 */
async function removedDefinitionInUse(p: Placement, ctx: CheckContext, where: Where): Promise<Refusal | null> {
  const removal = p.adaptations.find((a) => a.params.targetRemoval === 'definition');
  if (!removal) return null;
  const name = removal.params.name;
  const theirUsers = ctx.upstream?.lines ? usersOf(ctx.upstream.lines, name) : new Set<string>();
  theirUsers.delete(name); // its own definition's lines
  const left = [...usersOf(ctx.newLines, name)].filter((f) => !theirUsers.has(f));
  if (left.length) {
    const at = left.map((f) => (f ? `${f}()` : 'file scope')).join(', ');
    return { check: 'removed-definition-in-use', reason: `\`${name}\` is removed but still used on the target in ${p.path} (${at}), where upstream did not use it`, ...where };
  }
  if (removal.params.static === 'true') return null;
  const users = async (tree: TreeView) => (await tree.filesWithWord(name)).filter((f) => f !== p.path && f !== ctx.upstreamPath && /\.[ch]$/.test(f));
  const theirs = new Set(ctx.upstream ? await users(ctx.upstream.tree) : []);
  const files = (await users(ctx.tree)).filter((f) => !theirs.has(f));
  if (!files.length) return null;
  return { check: 'removed-definition-in-use', reason: `\`${name}\` is removed but ${files.slice(0, 3).join(', ')} on the target still use${files.length === 1 ? 's' : ''} it`, ...where };
}

/**
 * Are the hunk's added lines statements of a function body - not a struct/union/enum body or an initializer, not
 * the continuation of a multi-line #define, not a file other than C? Only there do names stand for local variables.
 */
function inFunctionCode(p: Placement, ctx: CheckContext): boolean {
  if (!/\.[ch]$/.test(p.path)) return false;
  const post = p.lines.filter((l) => l.op !== '-');
  const first = post.findIndex((l) => l.op === '+');
  if (first < 0) return false;
  const at = ctx.newStart + first;
  if (/\\\s*$/.test(ctx.newLines[at - 1] ?? '')) return false;
  const code = codeLines(ctx.newLines.slice(Math.max(0, at - 400), at));
  let depth = 0;
  for (let i = code.length - 1; i >= 0; i--) {
    for (let k = code[i].length - 1; k >= 0; k--) {
      const ch = code[i][k];
      if (ch === '}') depth++;
      else if (ch === '{' && depth-- === 0) return !/\b(?:struct|union|enum)\b[^()]*\{\s*$|=\s*\{\s*$/.test(code[i].slice(0, k + 1));
    }
  }
  return true;
}

/** Macros that take a struct member's name (not a value) at this 0-based argument position. */
const MEMBER_ARGS: Record<string, number> = {
  struct_size: 1, struct_size_t: 1, flex_array_size: 1, offsetof: 1, offsetofend: 1, sizeof_field: 1,
  container_of: 2, container_of_const: 2, list_entry: 2, list_first_entry: 2, list_first_entry_or_null: 2,
  list_last_entry: 2, list_next_entry: 1, list_prev_entry: 1, list_for_each_entry: 2, list_for_each_entry_safe: 3,
  list_for_each_entry_reverse: 2, list_for_each_entry_continue: 2, list_for_each_entry_rcu: 2, hlist_entry: 2,
  hlist_for_each_entry: 2, rb_entry: 2, from_timer: 2, timer_container_of: 2, __counted_by: 0,
  kmalloc_flex: 1, kzalloc_flex: 1, kvmalloc_flex: 1, kvzalloc_flex: 1, kfree_rcu: 1, kvfree_rcu: 1,
};

/** Is the bare name at `at` in `code` the member-name argument of such a macro (`struct_size(p, slots, n)`)? */
function isMemberArgument(code: string, at: number): boolean {
  let depth = 0;
  let commas = 0;
  for (let i = at - 1; i >= 0; i--) {
    const ch = code[i];
    if (ch === ')' || ch === ']') depth++;
    else if (ch === '(' || ch === '[') {
      if (depth === 0) {
        const callee = /([A-Za-z_]\w*)\s*$/.exec(code.slice(0, i));
        return ch === '(' && !!callee && MEMBER_ARGS[callee[1]] === commas;
      }
      depth--;
    } else if (ch === ',' && depth === 0) commas++;
  }
  return false;
}

/**
 * With upstream's tree: a name the added lines use that upstream's function declared (a parameter or local, like
 * the seed's `attrs`) and the target's function does not, nor the target's file scope: the added lines would use
 * a variable the branch does not have, whatever shape the use takes (a bare call argument included).
 */
function upstreamLocal(addedCode: string[], scope: string[], fileScope: Set<string>, ctx: CheckContext, where: Where): Refusal | null {
  const upScope = upstreamScope(ctx);
  if (!upScope) return null;
  const own = new Set([...declaredNames(addedCode), ...gotoTargets(addedCode)]);
  // struct/union/enum tags are types, whatever a declaration-shaped `sizeof(struct x)` looks like
  const tags = new Set(addedCode.flatMap((c) => [...c.matchAll(/\b(?:struct|union|enum)\s+([A-Za-z_]\w*)/g)].map((m) => m[1])));
  // a name after `->` or `.` is a struct member, whatever upstream's function calls its locals
  const members = new Set(addedCode.flatMap((c) => [...c.matchAll(/(?:->|\.)\s*([A-Za-z_]\w*)/g)].map((m) => m[1])));
  const asValue = (name: string) => addedCode.some((c) => new RegExp(`(?<![\\w.]|->)\\s*\\b${name}\\b`).test(c.replace(/(?:->|\.)\s*[A-Za-z_]\w*/g, ' ')));
  for (const name of new Set(addedCode.flatMap(identifiersOf))) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name) || own.has(name) || tags.has(name) || fileScope.has(name) || ctx.patchDeclared.has(name)) continue;
    if (members.has(name) && !asValue(name)) continue;
    if (!isDeclaredIn(upScope, name) || isDeclaredIn(scope, name)) continue;
    return { check: 'undeclared-local', reason: `\`${name}\` is a variable of upstream's function but is not declared in the enclosing function on the target`, ...where };
  }
  return null;
}

function upstreamSide(ctx: CheckContext): UpstreamSide | undefined {
  return ctx.upstream?.lines ? { lines: ctx.upstream.lines, hunk: ctx.hunk } : undefined;
}

/** The enclosing function from its heading to the hunk's first change, upstream (before the change) and on the target. */
/** Where the hunk's first change sits in upstream's file before the change, and where its function starts there. */
function upstreamChangeAt(ctx: CheckContext): { up: string[]; at: number; fn: number } | null {
  const up = ctx.upstream?.lines;
  if (!up) return null;
  const h = ctx.hunk;
  const firstChange = Math.max(0, h.lines.findIndex((l) => l.op !== ' '));
  const at = Math.min(up.length, Math.max(0, h.oldStart - 1) + firstChange);
  return { up, at, fn: enclosingFunctionStart(up, at + 1) };
}

function functionPrefixes(p: Placement, ctx: CheckContext): { up: string[]; target: string[] } | null {
  const u = upstreamChangeAt(ctx);
  if (!u) return null;
  const tat = p.start + Math.max(0, p.lines.findIndex((l) => l.op !== ' '));
  const tfn = enclosingFunctionStart(ctx.text.lines, tat + 1);
  if (u.fn < 0 || tfn < 0) return null;
  return { up: u.up.slice(u.fn, u.at), target: ctx.text.lines.slice(tfn, tat) };
}

/** Code of upstream's enclosing function before the change, from its heading to the end of the hunk's pre-image. */
function upstreamScope(ctx: CheckContext): string[] | null {
  const u = upstreamChangeAt(ctx);
  if (!u || u.fn < 0) return null;
  const end = Math.min(u.up.length, Math.max(0, ctx.hunk.oldStart - 1) + ctx.hunk.oldLines);
  return codeLines(u.up.slice(u.fn, end));
}

const kconfigCache = new WeakMap<string[], Promise<Set<string>>>();

/** Every symbol a Kconfig file of the tree defines (`config X`, `menuconfig X`). */
function kconfigSymbols(tree: TreeView): Promise<Set<string>> {
  return tree.listFiles().then((files) => {
    let r = kconfigCache.get(files);
    if (!r) {
      r = (async () => {
        const out = new Set<string>();
        for (const f of files) {
          if (!/(^|\/)Kconfig[^/]*$/.test(f)) continue;
          const t = await tree.read(f);
          if (t) for (const m of t.matchAll(/^\s*(?:menu)?config\s+([A-Za-z0-9_]+)/gm)) out.add(m[1]);
        }
        return out;
      })();
      kconfigCache.set(files, r);
    }
    return r;
  });
}

async function kconfigSymbol(p: Placement, addedCode: string[], ctx: CheckContext, where: Where): Promise<Refusal | null> {
  const isKconfig = /(^|\/)Kconfig[^/]*$/.test(p.path);
  const wanted = new Set<string>();
  if (isKconfig) {
    const own = new Set<string>();
    for (const l of p.lines) if (l.op === '+') for (const m of l.text.matchAll(/^\s*(?:menu)?config\s+([A-Za-z0-9_]+)/g)) own.add(m[1]);
    for (const l of p.lines) {
      if (l.op !== '+') continue;
      const m = /^\s*(depends\s+on|select|imply|visible\s+if|default|range|if)\b(.*)$/.exec(l.text.replace(/#.*$/, ''));
      if (!m) continue;
      for (const sym of m[2].replace(/"[^"]*"/g, '').match(/\b[A-Z][A-Z0-9_]*\b/g) ?? []) if (!own.has(sym)) wanted.add(sym);
    }
  } else {
    for (const c of addedCode) for (const m of c.matchAll(/\bCONFIG_([A-Za-z0-9_]+)/g)) if (!ctx.fileWords.has(`CONFIG_${m[1]}`)) wanted.add(m[1]);
  }
  if (!wanted.size) return null;
  const known = await kconfigSymbols(ctx.tree);
  if (!known.size) return null; // not a tree with Kconfig files: nothing to judge by
  for (const sym of wanted) {
    const base = sym.replace(/_MODULE$/, '');
    if (!known.has(sym) && !known.has(base)) return { check: 'kconfig-symbol', reason: `Kconfig symbol ${sym} is not defined on the target`, ...where };
  }
  return null;
}

/**
 * Argument counts of every call, prototype or definition `name(...)` in code (member calls `x->name(` and
 * `x.name(` excluded: those are function pointers of some struct, not this function). null entries: variadic.
 */
export function arities(code: string, name: string): (number | null)[] {
  return findCalls(code, name, { nested: true }).map((c) => (c.args.some((a) => a.includes('...')) ? null : c.args.length === 1 && /^(?:void)?$/.test(c.args[0]) ? 0 : c.args.length));
}

/** The one argument count every occurrence agrees on, or null (none, variadic, or disagreeing: a macro trick). */
function agreedArity(counts: (number | null)[], minOccurrences: number): number | null {
  if (counts.length < minOccurrences || counts.some((c) => c === null)) return null;
  return counts.every((c) => c === counts[0]) ? counts[0] : null;
}

async function callArity(p: Placement, code: string[], ctx: CheckContext, where: Where): Promise<Refusal | null> {
  const added = p.lines.map((l, i) => (l.op === '+' ? code[i] : '')).join('\n');
  const names = new Set([...added.matchAll(/(?<![\w.>])([a-z_][a-z0-9_]*)\s*\(/g)].map((m) => m[1]).filter((n) => !C_KEYWORDS.has(n)));
  if (!names.size) return null;
  const target = codeText(ctx.text.lines);
  const addedDeclared = declaredNames(p.lines.flatMap((l, i) => (l.op === '+' ? [code[i]] : [])));
  for (const name of names) {
    if (!hasWord(target, name)) {
      if (ctx.patchDeclared.has(name) || addedDeclared.has(name)) continue;
      const r = await headerCallArity(p, added, name, ctx, where);
      if (r) return r;
      continue;
    }
    const want = agreedArity(arities(added, name), 1);
    if (want === null) continue;
    const have = agreedArity(arities(target, name), 2);
    if (have === null || have === want) continue;
    // upstream's own file had the target's count before the change: the change itself alters the signature, in a
    // hunk or file not in view. That edit ports only if the target declares the function as upstream did; a
    // heading with no line in common with upstream's (other parameter types, a reworked signature) will not take it.
    if (ctx.upstream?.lines && agreedArity(arities(codeText(ctx.upstream.lines), name), 1) === have) {
      const [mine, theirs] = await Promise.all([signatureIn(ctx.tree, p.path, ctx.text.lines, name), signatureIn(ctx.upstream.tree, ctx.upstreamPath, ctx.upstream.lines, name)]);
      if (mine === null || theirs === null || arities(theirs.join(' '), name)[0] !== have) continue;
      if (theirs.some((l) => mine.includes(l))) continue;
      return { check: 'call-arity', reason: `the added lines call \`${name}\` with ${want} argument(s), a signature change not in view; the target declares it with ${have} and a heading unlike upstream's, so that change may not port`, ...where };
    }
    return { check: 'call-arity', reason: `the added lines call \`${name}\` with ${want} argument(s); on the target it takes ${have}`, ...where };
  }
  return null;
}

/**
 * A function the file calls but never mentions otherwise is declared in a header the file includes: the added call
 * must take as many arguments as the declarations there (prototypes, inline definitions, `#define f(a, b)` macros)
 * agree on. Variadic declarations, object-like macros and headers that disagree among themselves never refuse.
 */
async function headerCallArity(p: Placement, added: string, name: string, ctx: CheckContext, where: Where): Promise<Refusal | null> {
  const want = agreedArity(arities(added, name), 1);
  if (want === null) return null;
  const mine = await headerDeclaration(ctx.tree, p.path, ctx.text.lines, name);
  if (!mine || mine.arity === want) return null;
  // the same allowance as for the file's own declarations: upstream's headers had the target's count before the
  // change, so the change itself alters the prototype (in a file not in view); that edit ports only onto a
  // heading like upstream's
  if (ctx.upstream?.lines) {
    const theirs = await headerDeclaration(ctx.upstream.tree, ctx.upstreamPath, ctx.upstream.lines, name);
    if (theirs && theirs.arity === mine.arity) {
      if (theirs.heading.some((l) => mine.heading.includes(l))) return null;
      return { check: 'call-arity', reason: `the added lines call \`${name}\` with ${want} argument(s), a signature change not in view; ${mine.path} on the target declares it with ${mine.arity} and a heading unlike upstream's, so that change may not port`, ...where };
    }
  }
  return { check: 'call-arity', reason: `the added lines call \`${name}\` with ${want} argument(s); ${mine.path} on the target declares it with ${mine.arity}`, ...where };
}

/**
 * The argument count the headers `path` includes give function or macro `name`: every occurrence there (declarations
 * and calls) agrees and at least one is a declaration. null otherwise.
 */
export async function headerDeclaration(tree: TreeView, path: string, lines: string[], name: string): Promise<{ arity: number; heading: string[]; path: string } | null> {
  const counts: (number | null)[] = [];
  let decl: { heading: string[]; path: string } | null = null;
  const define = new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+${name}\\b(\\()?.*`, 'gm');
  for (const h of await includedHeaders(tree, path, lines)) {
    if (!hasWord(h.raw, name)) continue;
    const text = codeText(h.lines);
    for (const m of text.matchAll(define)) {
      if (!m[1]) return null; // an alias `#define f other_f`: its arity is another name's
      decl ??= { heading: [canonicalWs(m[0])], path: h.path };
    }
    const sig = signatureOf(h.lines, name);
    if (sig) decl ??= { heading: sig, path: h.path };
    counts.push(...arities(text, name));
  }
  if (!decl) return null;
  const arity = agreedArity(counts, 1);
  return arity === null ? null : { arity, ...decl };
}

/**
 * The declared signature of function `name` (a definition or prototype heading at column 0, up to its closing
 * parenthesis, whitespace made canonical): in the file itself first, then in the other C files and headers of its
 * directory. null when none is found there.
 */
async function signatureIn(tree: TreeView, path: string, lines: string[], name: string): Promise<string[] | null> {
  const own = signatureOf(lines, name);
  if (own !== null) return own;
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  for (const f of await sourcesIn(tree, dir)) {
    if (f === path) continue;
    const t = await readCached(tree, f);
    if (t === null || !hasWord(t, name)) continue;
    const sig = signatureOf(t.split('\n'), name);
    if (sig !== null) return sig;
  }
  return null;
}

/** Whitespace made canonical: one space between two word characters, none elsewhere. */
function canonicalWs(t: string): string {
  return t.trim().replace(/\s+/g, ' ').replace(/ (?=\W)|(?<=\W) /g, '');
}

function signatureOf(lines: string[], name: string): string[] | null {
  const head = new RegExp(`^(?!return\\b)[A-Za-z_][\\w\\s*]*[\\s*]${name}\\s*\\(`);
  for (let i = 0; i < lines.length; i++) {
    if (!head.test(lines[i])) continue;
    const out: string[] = [];
    let depth = 0;
    for (let j = i; j < lines.length && j < i + 12; j++) {
      let code = codeLines([lines[j]])[0];
      depth += (code.match(/\(/g)?.length ?? 0) - (code.match(/\)/g)?.length ?? 0);
      if (depth <= 0) code = code.slice(0, code.lastIndexOf(')') + 1);
      out.push(canonicalWs(code));
      if (depth <= 0) break;
    }
    if (depth > 0) continue;
    return out;
  }
  return null;
}

/** Functions defined at file scope: a heading `type name(...)` at column 0 whose body opens with `{` on the next line. */
function definedFunctions(lines: string[]): Set<string> {
  return new Set(definedFunctionList(lines));
}

function definedFunctionList(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(?:[A-Za-z_]\w*[\s*]+)+([A-Za-z_]\w*)\s*\(/.exec(lines[i]);
    if (!m || C_KEYWORDS.has(m[1])) continue;
    let j = i;
    while (j < lines.length - 1 && j < i + 8 && !/\)\s*$/.test(lines[j]) && !/;/.test(lines[j])) j++;
    if (/\)\s*$/.test(lines[j]) && /^\{\s*$/.test(lines[j + 1] ?? '')) out.push(m[1]);
  }
  return out;
}

const fileDefs = new WeakMap<string[], Map<string, number>>();

function duplicateDefinition(p: Placement, ctx: CheckContext, where: Where): Refusal | null {
  const post = p.lines.filter((l) => l.op !== '-').map((l) => l.text);
  const mine = definedFunctions(post);
  if (!mine.size) return null;
  // another #ifdef variant of a function is not a duplicate
  if (p.lines.some((l) => l.op === '+' && /^\s*#\s*(if|else|elif)/.test(l.text))) return null;
  const after = definedFunctionCounts(ctx.newLines);
  for (const name of mine) {
    if ((after.get(name) ?? 0) < 2) continue;
    // upstream's file defined it before the change too: the change renames or removes that one elsewhere. Only a
    // hunk placed on upstream's own context earns that trust: a rule that loosened the context (reduced-context,
    // aligned-context...) has shown the target differs right there, so the unseen hunk need not port.
    if (ctx.upstream?.lines && definedFunctions(ctx.upstream.lines).has(name) && p.method !== 'rules') continue;
    return { check: 'duplicate-definition', reason: `the added lines define \`${name}\`, which ${p.path} on the target already defines`, ...where };
  }
  return null;
}

function definedFunctionCounts(lines: string[]): Map<string, number> {
  let c = fileDefs.get(lines);
  if (!c) {
    c = new Map();
    for (const n of definedFunctionList(lines)) c.set(n, (c.get(n) ?? 0) + 1);
    fileDefs.set(lines, c);
  }
  return c;
}
