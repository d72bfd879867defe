/**
 * Call templates for api-rewrite rules: `kzalloc_obj(P, GFP)` -> `kzalloc(sizeof(P), GFP)`. A template's `from`
 * is a call whose arguments are placeholders (UPPER_CASE words, optionally after a literal prefix such as `*V`),
 * optionally ending in `;` (the call must then be a whole statement); `to` is text in which each placeholder is
 * replaced by the argument it matched. Matching works on the code of a run of lines (comments and string literals
 * never match) and keeps the argument's own text, line breaks included, so a call wrapped over several lines stays
 * wrapped the same way.
 */
import { findCalls, maskNonCode } from '../apply/c-syntax.ts';

export interface CallTemplate {
  name: string;
  /** one entry per argument: a literal prefix the argument must start with, and the placeholder bound to the rest */
  params: { prefix: string; name: string }[];
  statement: boolean;
  to: string;
}

const PLACEHOLDER = /^[A-Z][A-Z0-9_]*$/;

/** Parse `name(A, *B)` / `name(A);` into a template, or throw with what is wrong (rule files are validated with it). */
export function parseTemplate(from: string, to: string): CallTemplate {
  const m = /^\s*([A-Za-z_]\w*)\s*\(([^()]*)\)\s*(;?)\s*$/.exec(from);
  if (!m) throw new Error(`\`${from}\` is not a call like name(A, B)`);
  const params = m[2].trim()
    ? m[2].split(',').map((a) => {
        const p = /^\s*([^A-Za-z_\s]*)\s*([A-Za-z_]\w*)\s*$/.exec(a);
        if (!p || !PLACEHOLDER.test(p[2])) throw new Error(`\`${a.trim()}\` in \`${from}\` is not a placeholder (UPPER_CASE, after an optional prefix like *)`);
        return { prefix: p[1], name: p[2] };
      })
    : [];
  if (new Set(params.map((p) => p.name)).size !== params.length) throw new Error(`\`${from}\` names a placeholder twice`);
  if (to.includes('\n') && !m[3]) throw new Error(`\`${from}\`: a replacement of several lines needs a whole statement (end \`from\` with ;)`);
  return { name: m[1], params, statement: m[3] === ';', to };
}

/** An argument that needs no parentheses wherever an expression goes: a name, number, member chain or call. */
function simple(arg: string): boolean {
  const a = arg.trim();
  if (/^(?:[A-Za-z_]\w*|\d\w*)(?:(?:->|\.)[A-Za-z_]\w*|\[[^\]]*\])*$/.test(a)) return true;
  const call = /^[A-Za-z_]\w*\s*\(/.exec(a);
  return !!call && findCalls(a, a.slice(0, a.indexOf('(')).trim()).some((c) => c.start === 0 && c.end === a.length);
}

/**
 * Render `tpl.to` with `bound` placeholders. `(X)` around a lone placeholder is dropped for a simple argument
 * (unless it is a call's or sizeof's own parentheses), and `(X)->m` with X = `&E` becomes `E.m`.
 */
export function render(tpl: CallTemplate, bound: Map<string, string>, seps: string[]): string {
  let sepNo = 0;
  // the replacement's own top-level argument separators take the call's (line breaks and alignment kept)
  const withSeps = (s: string): string => {
    const code = maskNonCode(s);
    let depth = 0;
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = code[i];
      if (c === '(') depth++;
      if (c === ')') depth--;
      if (c === ',' && depth === 1) {
        const ws = /^,\s*/.exec(s.slice(i))![0];
        out += seps[sepNo++] ?? ws;
        i += ws.length - 1;
        continue;
      }
      out += s[i];
    }
    return out;
  };
  const text = withSeps(tpl.to);
  if (!bound.size) return text;
  const names = [...bound.keys()].join('|');
  // one pass, so an argument's own text is never taken for a placeholder
  const re = new RegExp(`\\((\\s*)(${names})(\\s*)\\)(\\s*->\\s*)?|\\b(${names})\\b`, 'g');
  return text.replace(re, (_all, _a, paren: string | undefined, _b, arrow: string | undefined, bare: string | undefined, at: number) => {
    if (bare) return bound.get(bare)!;
    const arg = bound.get(paren!)!;
    if (/[\w)\]]\s*$/.test(text.slice(0, at))) return `(${arg})${arrow ?? ''}`; // a call's or sizeof's own parentheses
    if (arrow && arg.startsWith('&') && simple(arg.slice(1))) return `${arg.slice(1).trim()}.`;
    return simple(arg) ? `${arg}${arrow ? '->' : ''}` : `(${arg})${arrow ?? ''}`;
  });
}

export interface Rewritten {
  text: string;
  /** each call rewritten: as written and what replaced it (white space collapsed, for notes), and the exact texts */
  changes: { call: string; replacement: string; exactFrom: string; exactTo: string }[];
}

/**
 * Rewrite every call of `tpl.name` in `text` (a run of added lines joined by \n) whose argument count and prefixes
 * fit one of `forms`. A statement form applies only to a call that is a whole statement; its later lines take the
 * indentation of the statement's line. Calls that fit no form are left as they are.
 */
export function rewriteCalls(text: string, forms: CallTemplate[], before = ''): Rewritten {
  const changes: Rewritten['changes'] = [];
  let out = text;
  const name = forms[0].name;
  // left to right, so a call is laid out after the ones before it on its line; `shift` maps the scan's offsets
  let shift = 0;
  for (const found of findCalls(text, name)) {
    const site = { ...found, start: found.start + shift, open: found.open + shift, end: found.end + shift };
    const lineStart = out.lastIndexOf('\n', site.start - 1) + 1;
    const indent = /^[ \t]*/.exec(out.slice(lineStart))![0];
    const atStatementStart = out.slice(lineStart, site.start).trim() === '';
    const semi = /^\s*;/.exec(out.slice(site.end));
    // an argument carrying a comment would take it to where the template puts the argument (`// ...` swallowing
    // the rest of the call): left alone
    if (site.args.some((a) => maskNonCode(a) !== a.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (q) => q[0] + ' '.repeat(q.length - 2) + q[0]))) continue;
    for (const tpl of forms) {
      if (tpl.params.length !== site.args.length) continue;
      if (tpl.statement && !(atStatementStart && semi)) continue;
      if (tpl.to.includes('\n') && !newStatementMayFollow(out.slice(0, lineStart), before, lineOf(out, lineStart))) continue;
      if (!tpl.params.every((p, k) => site.args[k].startsWith(p.prefix) && site.args[k].length > p.prefix.length)) continue;
      const bound = new Map(tpl.params.map((p, k) => [p.name, site.args[k].slice(p.prefix.length).trim()] as [string, string]));
      const end = tpl.statement ? site.end + semi![0].length : site.end;
      let replacement = render({ ...tpl, to: tpl.to.replace(/\n/g, `\n${indent}`) }, bound, site.seps);
      replacement = kernelLayout(replacement, out.slice(lineStart, site.start), out.slice(lineStart, site.open), lineOf(out, end), lineOf(out, lineStart));
      let start = site.start;
      // an attribute rewritten to nothing takes the space before it along, and the line break too when it stood
      // alone on a continuation line (`slots[]\n\t\t__counted_by(n);` -> `slots[];`)
      if (!replacement.trim()) {
        replacement = '';
        while (start > lineStart && /[ \t]/.test(out[start - 1])) start--;
        if (start === lineStart && lineStart > 0 && /^\s*;/.test(out.slice(end))) start = lineStart - 1;
      }
      const exactFrom = out.slice(start, end);
      shift += replacement.length - (end - start);
      changes.push({ call: out.slice(site.start, end).replace(/\s+/g, ' '), replacement: replacement.replace(/\s+/g, ' ').trim(), exactFrom, exactTo: replacement });
      out = out.slice(0, start) + replacement + out.slice(end);
      break;
    }
  }
  return { text: out, changes };
}

const MAX_COLUMNS = 80;

/** The column after `text` (a line's beginning), tabs stopping every 8 columns. */
export function columnAfter(text: string): number {
  let col = 0;
  for (const c of text) col = c === '\t' ? col + 8 - (col % 8) : col + 1;
  return col;
}

/** Kernel-style indentation to `col`: tabs, then spaces. */
function indentTo(col: number): string {
  return '\t'.repeat(Math.floor(col / 8)) + ' '.repeat(col % 8);
}

/**
 * Several statements may replace one only where a statement ends before it (`;`, `{`, `}`, a label or case) -
 * not as the body of an unbraced if/for/while/else - and not on a macro line continued by a backslash.
 */
function newStatementMayFollow(textBefore: string, lineBeforeRun: string, line: string): boolean {
  if (/\\\s*$/.test(line)) return false;
  const prev = maskNonCode(`${lineBeforeRun}\n${textBefore}`).split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  return prev === '' || /[;{}:]$/.test(prev);
}

/** The rest of `text`'s line from `at`. */
function lineOf(text: string, at: number): string {
  const end = text.indexOf('\n', at);
  return text.slice(at, end === -1 ? text.length : end);
}

/**
 * Lay the replacement out as the kernel's coding style asks of the maintainer who writes it: continuation lines that
 * were aligned with the old call's open parenthesis are aligned with the new one's, and a one-line call ending its
 * line that the rewrite pushes past 80 columns (when it fit before) is wrapped after the last argument that fits.
 */
function kernelLayout(replacement: string, before: string, oldOpen: string, after: string, oldLine: string): string {
  const paren = /^[A-Za-z_]\w*\s*\(/.exec(replacement);
  if (!paren) return replacement;
  const oldCol = columnAfter(oldOpen);
  const newCol = columnAfter(before + paren[0]);
  let out = replacement.replace(/\n([ \t]*)/g, (all, ws: string) => (columnAfter(ws) === oldCol ? `\n${indentTo(newCol)}` : all));
  const code = (s: string) => maskNonCode(s).replace(/\s+$/, '');
  if (out.includes('\n') || columnAfter(code(before + out + after)) <= MAX_COLUMNS || columnAfter(code(oldLine)) > MAX_COLUMNS) return out;
  // only a call that ends its line is wrapped: with more code after it, where to break is the author's choice
  if (code(after).replace(/[\s)\];,{]/g, '')) return out;
  const masked = maskNonCode(out);
  let depth = 0;
  let breakAt = -1;
  for (let i = 0; i < out.length; i++) {
    if (masked[i] === '(') depth++;
    if (masked[i] === ')') depth--;
    if (masked[i] === ',' && depth === 1 && columnAfter(before + out.slice(0, i + 1)) <= MAX_COLUMNS) breakAt = i;
  }
  if (breakAt < 0) return out;
  out = out.slice(0, breakAt + 1) + `\n${indentTo(newCol)}` + out.slice(breakAt + 1).replace(/^\s+/, '');
  return out;
}
