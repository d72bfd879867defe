/**
 * Just enough C to judge a hunk: which identifiers a line of code uses (outside comments and strings), which ones it
 * declares, the enclosing function of a line, and the declared type of a name. Heuristics shaped like kernel style;
 * every caller treats "cannot tell" as "no evidence", never as a reason to invent.
 */
import { hasWord, isIdentifier, tokenize } from './text.ts';

export const C_KEYWORDS = new Set(
  (
    'auto break case char const continue default do double else enum extern float for goto if inline int long ' +
    'register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
    '_Bool _Static_assert bool true false NULL typeof __typeof__ asm __asm__ volatile __volatile__ defined ' +
    'include define undef ifdef ifndef elif endif error pragma line'
  ).split(' '),
);

/** keywords that may precede a declared name (types and qualifiers) */
const TYPE_WORDS = new Set(
  'char const double float int long short signed unsigned void volatile bool _Bool static extern inline register restrict'.split(' '),
);

/** keywords after which an identifier is used, not declared */
const USE_WORDS = new Set('return goto case sizeof else do typeof __typeof__ defined if while for switch'.split(' '));

export interface CodeScan {
  /** true while inside a block comment */
  inComment: boolean;
}

/** The code part of a line: comments and the insides of string/char literals removed. */
export function codeOf(line: string, scan: CodeScan = { inComment: false }): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (scan.inComment) {
      const end = line.indexOf('*/', i);
      if (end === -1) return out;
      scan.inComment = false;
      i = end + 2;
      out += ' ';
      continue;
    }
    const c = line[i];
    if (c === '/' && line[i + 1] === '*') {
      scan.inComment = true;
      i += 2;
      continue;
    }
    if (c === '/' && line[i + 1] === '/') return out;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
      out += c + c;
      i = j + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Code of consecutive lines, tracking block comments across them. A line starting with `*` continues a comment. */
export function codeLines(lines: string[]): string[] {
  const scan: CodeScan = { inComment: false };
  return lines.map((l) => {
    if (!scan.inComment && /^\s*\*(?!\/)/.test(l) && !/^\s*\*\s*\w+\s*[=;,)]/.test(l)) return '';
    return codeOf(l, scan);
  });
}

const IDENT = /[A-Za-z_]\w*/g;

/** Identifiers used in code (not numbers, not keywords, not an #include path). */
export function identifiersOf(code: string): string[] {
  if (/^\s*#\s*include\b/.test(code)) return [];
  const out: string[] = [];
  IDENT.lastIndex = 0;
  for (let m = IDENT.exec(code); m; m = IDENT.exec(code)) {
    const prev = m.index > 0 ? code[m.index - 1] : ' ';
    if (/[\w.]/.test(prev) && !(prev === '.' && m.index > 0)) continue; // suffix of a number like 10UL
    if (m.index > 0 && /\d/.test(prev)) continue;
    if (!C_KEYWORDS.has(m[0])) out.push(m[0]);
  }
  return out;
}

/**
 * Names a piece of added code declares itself: labels, #define names and parameters, local variables,
 * functions and struct members it defines, enumerators.
 */
export function declaredNames(codes: string[]): Set<string> {
  const out = new Set<string>();
  for (const code of codes) {
    const label = /^\s*([A-Za-z_]\w*)\s*:(?!:)/.exec(code);
    if (label && !C_KEYWORDS.has(label[1]) && label[1] !== 'default') out.add(label[1]);
    const def = /^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?/.exec(code);
    if (def) {
      out.add(def[1]);
      for (const p of (def[3] ?? '').split(',')) if (p.trim()) out.add(p.trim());
      continue;
    }
    for (const name of declaredInCode(code)) out.add(name);
    // enumerator or designated-free list item: `FOO_BAR = 3,` / `FOO_BAR,` alone on a line
    const en = /^\s*([A-Z_][A-Z0-9_]*)\s*(=[^;]*)?,?\s*$/.exec(code);
    if (en) out.add(en[1]);
  }
  return out;
}

/** Names declared on one line of code: `type name`, `type *name`, `type name[...]`, function parameters. */
export function declaredInCode(code: string): string[] {
  const out: string[] = [];
  const toks = tokenize(code);
  for (let k = 0; k < toks.length; k++) {
    const name = toks[k];
    if (!isIdentifier(name) || C_KEYWORDS.has(name)) continue;
    const next = toks[k + 1];
    if (next !== undefined && !/^[;,=\[)(:]$/.test(next)) continue;
    let p = k - 1;
    let stars = 0;
    while (p >= 0 && toks[p] === '*') {
      p--;
      stars++;
    }
    if (p < 0) continue;
    const prev = toks[p];
    if (prev === ',' && startsDeclaration(toks, k)) {
      out.push(name);
      continue;
    }
    if (!isIdentifier(prev) || USE_WORDS.has(prev)) continue;
    if (stars > 0 && !TYPE_WORDS.has(prev)) {
      // `a * b` is a product unless `a` starts a declaration: after ( , ; { or at the line start, or after struct/enum
      const before = toks[p - 1];
      if (before !== undefined && !/^[(,;{]$/.test(before) && !/^(struct|enum|union|const)$/.test(before)) continue;
    }
    out.push(name);
  }
  return out;
}

/** `int a, b` / `struct x *p, *q`: the line opens with a type and a name, and no call parenthesis precedes index k. */
function startsDeclaration(toks: string[], k: number): boolean {
  let i = 0;
  while (i < k && /^(static|const|volatile|unsigned|signed|struct|enum|union|register)$/.test(toks[i])) i++;
  if (i >= k || !isIdentifier(toks[i]) || USE_WORDS.has(toks[i]) || (C_KEYWORDS.has(toks[i]) && !TYPE_WORDS.has(toks[i]))) return false;
  i++;
  while (i < k && (TYPE_WORDS.has(toks[i]) || toks[i] === '*')) i++;
  if (i >= k || !isIdentifier(toks[i])) return false;
  return !toks.slice(0, k).includes('(');
}

/** Is `name` declared (variable, parameter, label) in these lines of code? */
export function isDeclaredIn(codes: string[], name: string): boolean {
  for (const c of codes) {
    if (!hasWord(c, name)) continue;
    if (declaredInCode(c).includes(name)) return true;
    if (new RegExp(`^\\s*${name}\\s*:(?!:)`).test(c)) return true;
  }
  return false;
}

/** The diff -p / git funcname heading: nearest line before `index` starting with a letter, `_` or `$`. */
export function headingBefore(lines: string[], index: number): { line: string; index: number } | null {
  for (let i = Math.min(index, lines.length) - 1; i >= 0; i--) {
    if (/^[A-Za-z_$]/.test(lines[i])) return { line: lines[i], index: i };
  }
  return null;
}

/** The function name of a heading like `static int foo(struct x *a,` (null for labels, structs, macros without a call). */
export function functionNameOf(heading: string): string | null {
  const m = /([A-Za-z_]\w*)\s*\(/.exec(heading);
  if (!m || C_KEYWORDS.has(m[1])) return null;
  return m[1];
}

/** Start index of the function enclosing `index`: the nearest preceding heading that names a function. */
export function enclosingFunctionStart(lines: string[], index: number): number {
  for (let i = Math.min(index, lines.length) - 1; i >= 0; i--) {
    if (/^[A-Za-z_]/.test(lines[i]) && functionNameOf(lines[i]) && !/;\s*$/.test(lines[i])) return i;
    if (/^}/.test(lines[i]) && i < index - 1) return -1;
  }
  return -1;
}

/** Does the hunk's section (from upstream's diff) fit the target heading at `start`? null = cannot tell. */
export function sectionFits(section: string, lines: string[], start: number): boolean | null {
  const s = section.trim();
  if (!s) return null;
  const h = headingBefore(lines, start);
  if (!h) return null;
  const norm = (x: string) => x.replace(/\s+/g, ' ').trim();
  const a = norm(s);
  const b = norm(h.line);
  if (b.startsWith(a) || a.startsWith(b)) return true;
  const fa = functionNameOf(a);
  const fb = functionNameOf(b);
  // a macro heading (TRACE_EVENT(name, ...), DEFINE_X(name)): its first argument is what names the block, and the
  // macro itself may be respelled between branches (TRACE_EVENT on one, TRACE_EVENT_CONDITION on the other)
  // (only a known variant suffix: SYSCALL_DEFINE2(x) and COMPAT_SYSCALL_DEFINE2(x) are different functions)
  const macro = (f: string | null) => !!f && /^[A-Z0-9_]+$/.test(f);
  if (macro(fa) && macro(fb)) return macroFamily(fa!) === macroFamily(fb!) && firstArg(a) !== '' && firstArg(a) === firstArg(b);
  if (!fa || !fb || fa !== fb) return false;
  return true;
}

/** A block macro's name without the suffixes that only vary its flavour (TRACE_EVENT_CONDITION -> TRACE_EVENT). */
function macroFamily(name: string): string {
  return name.replace(/_(CONDITION|FN|FN_COND|PRINT)$/, '');
}

function firstArg(heading: string): string {
  const m = /\(\s*([^,)]*)/.exec(heading);
  return m ? m[1].trim() : '';
}

export interface DeclaredType {
  /** base type text, e.g. "struct sk_buff", "u32", "unsigned long" */
  base: string;
  pointer: number;
}

/** The declared type of `name` in these code lines (last declaration wins), or null. */
export function declaredType(codes: string[], name: string): DeclaredType | null {
  let found: DeclaredType | null = null;
  const re = new RegExp(`(?:^|[(,;{])\\s*((?:(?:const|static|volatile|register|unsigned|signed|struct|enum|union)\\s+)*[A-Za-z_]\\w*(?:\\s+(?:int|long|char|short))*)\\s*(\\**)\\s*\\b${name}\\b\\s*(?=[;,=\\[)])`);
  for (const c of codes) {
    if (!hasWord(c, name)) continue;
    const m = re.exec(c);
    if (!m) continue;
    const base = m[1].replace(/\b(const|static|volatile|register)\s+/g, '').trim();
    if (USE_WORDS.has(base) || C_KEYWORDS.has(base) && !TYPE_WORDS.has(base.split(' ').pop()!)) continue;
    found = { base, pointer: m[2].length };
  }
  return found;
}

/** The name a goto label line defines (`out_unlock:`), or null: where control flow enters, never mere context. */
export function labelOf(code: string): string | null {
  const m = /^\s*([A-Za-z_]\w*)\s*:(?!:)\s*$/.exec(code);
  return m && m[1] !== 'default' ? m[1] : null;
}

export function isLabel(code: string): boolean {
  return labelOf(code) !== null;
}

const codeTexts = new WeakMap<string[], string>();
/** The code of a whole file (comments and literals blanked), one string, computed once per lines array. */
export function codeText(lines: string[]): string {
  let t = codeTexts.get(lines);
  if (t === undefined) codeTexts.set(lines, (t = codeLines(lines).join('\n')));
  return t;
}

/** `text` with comments and string/char literals blanked to spaces, same length, line breaks kept. */
export function maskNonCode(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      const closed = j < text.length && text[j] === c;
      const stop = closed ? j + 1 : Math.min(j, text.length);
      // the literal's inside blanked (its escaped line breaks kept); an unterminated one is blanked to the line's end
      out += (c + text.slice(i + 1, closed ? j : stop).replace(/[^\n]/g, ' ') + (closed ? c : '')).slice(0, stop - i);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export interface CallSite {
  start: number;
  /** index just past the opening parenthesis */
  open: number;
  /** index just past the closing parenthesis (and the `;` of a statement template) */
  end: number;
  /** argument texts as written (trimmed), and the separators after each but the last (`,` and the white space) */
  args: string[];
  seps: string[];
}

/** Every complete call of `name` in `text`, outermost first (nested ones too with `nested`), skipping comments and strings. */
export function findCalls(text: string, name: string, opts: { nested?: boolean } = {}): CallSite[] {
  const code = maskNonCode(text);
  const out: CallSite[] = [];
  const re = new RegExp(`(?<![\\w.>])${name}\\s*\\(`, 'g');
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const open = m.index + m[0].length;
    let depth = 0;
    let argStart = open;
    const args: string[] = [];
    const seps: string[] = [];
    let i = open;
    for (; i < code.length; i++) {
      const c = code[i];
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) {
        const raw = text.slice(argStart, i);
        args.push(raw.trim());
        const after = /^,\s*/.exec(text.slice(i))![0];
        seps.push(after);
        argStart = i + after.length;
        i = argStart - 1;
      } else if (c === ';' && depth === 0) break;
    }
    if (i >= code.length || code[i] !== ')') continue;
    const last = text.slice(argStart, i).trim();
    if (last || args.length) args.push(last);
    out.push({ start: m.index, open, end: i + 1, args, seps });
    re.lastIndex = opts.nested ? open : i + 1;
  }
  return out;
}

/** Labels that `goto` statements in `code` jump to. */
export function gotoTargets(code: string[]): string[] {
  return code.flatMap((c) => [...c.matchAll(/\bgoto\s+([A-Za-z_]\w*)\s*;/g)].map((m) => m[1]));
}
