/**
 * Safety checks run on every placed hunk, whatever placed it. Each turns a likely-wrong backport into a refusal
 * that names the check. They look only at the target tree, so they hold for any kernel branch:
 *   unknown-identifier  (C files) an identifier the added lines use is neither in the file nor in the code of any
 *                       header of the target, and the patch does not declare it
 *   missing-header      an added #include names a header the target tree does not have
 *   format-type         a printf-style specifier does not fit the declared type of its argument
 *   struct-member       the added lines use a member the target's struct definition does not have
 *   undeclared-local    the added lines use a local variable the enclosing function (after the patch) does not declare
 *   kconfig-symbol      an added Kconfig dependency or CONFIG_ use names a symbol no Kconfig file of the target defines
 * Checks run on the file as it will be after all hunks of the file are applied, so a declaration added by a
 * sibling hunk counts; names declared by added lines anywhere in the patch count as known.
 */
import type { HunkLine } from '../core/patch.ts';
import type { TreeView } from '../core/tree.ts';
import { C_KEYWORDS, codeLines, declaredInCode, declaredNames, declaredType, enclosingFunctionStart, identifiersOf, isDeclaredIn, type DeclaredType } from './c-syntax.ts';
import { excerpt } from './locate.ts';
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
  if (!addedIdx.length) return null;
  const addedCode = addedIdx.map((i) => code[i]);
  const where = { file: p.path, hunk: ctx.hunkNo, targetExcerpt: excerpt(ctx.text.lines, p.start, p.lines.filter((l) => l.op !== '+').length) };
  const scope = functionScope(p, ctx);
  return (
    (ctx.strictIdentifiers && /\.[ch]$/.test(p.path) ? await unknownIdentifier(addedCode, ctx, where) : null) ??
    (await missingHeader(p, ctx, where)) ??
    (await kconfigSymbol(p, addedCode, ctx, where)) ??
    undeclaredLocal(addedCode, scope, ctx, where) ??
    formatType(p, scope, ctx, where) ??
    (await structMember(p, code, scope, ctx, where))
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
    const { all, asm } = await headersOf(ctx.tree);
    let ok: boolean;
    if (m[1] === '<') {
      ok = all.has(`include/${name}`) || all.has(`include/uapi/${name}`) || asm.has(name) || [...arches(all)].some((a) => all.has(`arch/${a}/include/${name}`));
    } else {
      const dir = p.path.includes('/') ? p.path.slice(0, p.path.lastIndexOf('/')) : '';
      ok = all.has(normalizePath(dir ? `${dir}/${name}` : name)) || all.has(`include/${name}`);
    }
    if (!ok) return { check: 'missing-header', reason: `the added lines include ${m[1]}${name}${m[1] === '<' ? '>' : '"'}, which the target tree does not have`, ...where };
  }
  return null;
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
    for (const m of code[i].matchAll(/\b([A-Za-z_]\w*)\s*(->|\.)\s*([A-Za-z_]\w*)/g)) {
      const [, base, , member] = m;
      if (ctx.fileWords.has(member) || ctx.patchDeclared.has(member)) continue;
      const t = declaredType(scope, base);
      if (!t || !t.base.startsWith('struct ')) continue;
      if ((m[2] === '->') !== (t.pointer === 1)) continue;
      const sname = t.base.slice(7).trim();
      fileText ??= ctx.text.lines.join('\n');
      const body = await structBody(ctx.tree, sname, fileText);
      if (body !== null && !hasWord(body, member)) {
        return { check: 'struct-member', reason: `\`${base}${m[2]}${member}\`: struct ${sname} has no member \`${member}\` on the target`, ...where };
      }
    }
  }
  return null;
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
      const names = declaredInCode(c);
      const def = /^\s*#\s*define\s+([A-Za-z_]\w*)/.exec(c);
      if (def) fileScope.add(def[1]);
      if (/^\s/.test(lines[i])) for (const n of names) locals.add(n);
      else for (const n of names) fileScope.add(n);
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
function undeclaredLocal(addedCode: string[], scope: string[], ctx: CheckContext, where: Where): Refusal | null {
  const { locals, fileScope } = declarationsOf(ctx.text.lines);
  const checked = new Set<string>();
  for (const c of addedCode) {
    for (const m of c.matchAll(/(?<![\w.>])(&?)\s*\b([a-z_][a-z0-9_]*)\b\s*(->|\.(?!\.)|=(?!=)|\[)?/g)) {
      const name = m[2];
      if (!m[1] && !m[3]) continue;
      if (checked.has(name) || C_KEYWORDS.has(name)) continue;
      checked.add(name);
      // known as a local elsewhere in the file, or unknown to the file and assigned here like a local
      const localName = locals.has(name) || (!ctx.fileWords.has(name) && !ctx.patchDeclared.has(name) && m[3] === '=');
      if (!localName || fileScope.has(name)) continue;
      if (isDeclaredIn(scope, name)) continue;
      return { check: 'undeclared-local', reason: `\`${name}\` is not declared in the enclosing function on the target`, ...where };
    }
  }
  return null;
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
