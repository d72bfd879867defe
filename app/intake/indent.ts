/**
 * Inferring the indentation of added lines whose whitespace a mailer destroyed, from the exact lines around them
 * (kernel C style: tabs, labels at column 0). Every rule that applies must agree; otherwise the answer is
 * "ambiguous" and the caller refuses rather than guessing.
 */
import type { LineOp } from '../core/patch.ts';

export interface DraftLine {
  op: LineOp;
  /** exact text when known (context and removed lines from a real file); for added lines the damaged text */
  text: string;
  exact: boolean;
}

export type IndentResult = { ok: true; lines: string[] } | { ok: false; reason: string };

const LABEL = /^[A-Za-z_]\w*:\s*(\/\*.*\*\/)?$/;
const NOT_LABELS = /^(default|public|private|protected)\s*:/;

function lead(s: string): string {
  return /^[ \t]*/.exec(s)![0];
}

function isLabel(t: string): boolean {
  return LABEL.test(t) && !NOT_LABELS.test(t);
}

function balance(t: string): number {
  let n = 0;
  for (const c of t) {
    if (c === '(') n++;
    else if (c === ')') n--;
  }
  return n;
}

function isBracelessControl(t: string): boolean {
  if (/^(\}\s*)?else\s*$/.test(t) || /^do\s*$/.test(t)) return true;
  return /^(\}\s*)?(else\s+)?(if|for|while|switch)\b.*\)\s*$/.test(t) && balance(t) === 0;
}

function isContinued(t: string): boolean {
  if (balance(t) > 0) return true;
  return /(,|&&|\|\||[+\-*/?=|&(\\])$/.test(t) && !isLabel(t);
}

function isComment(t: string): boolean {
  // "* text" and "*/" continue a comment; "*ptr = x;" is code
  return /^(\/\*|\*(\s|\/|$)|\/\/)/.test(t);
}

function firstToken(t: string): string {
  return /^[A-Za-z_]\w*|^\S+/.exec(t)?.[0] ?? '';
}

/** added line index → exact removed line it replaces (same first token, or position in a block of equal sizes) */
function pairWithRemoved(lines: DraftLine[]): Map<number, string> {
  const pairs = new Map<number, string>();
  let i = 0;
  while (i < lines.length) {
    if (lines[i].op === ' ') {
      i++;
      continue;
    }
    const removed: number[] = [];
    const added: number[] = [];
    while (i < lines.length && lines[i].op !== ' ') {
      (lines[i].op === '-' ? removed : added).push(i);
      i++;
    }
    const used = new Set<number>();
    for (const a of added) {
      const tok = firstToken(lines[a].text.trim());
      if (!tok) continue;
      const r = removed.find((r) => !used.has(r) && firstToken(lines[r].text.trim()) === tok);
      if (r !== undefined) {
        used.add(r);
        pairs.set(a, lines[r].text);
      }
    }
    if (removed.length === added.length) {
      added.forEach((a, k) => {
        if (!pairs.has(a) && !used.has(removed[k]) && lines[a].text.trim() !== '') pairs.set(a, lines[removed[k]].text);
      });
    }
  }
  return pairs;
}

/**
 * `lines`: the rebuilt hunk, context and removed lines exact. `unit`: the file's indentation step ('\t' for kernel
 * C), or null when the file is not tab-indented (then only pairing with removed lines can decide).
 * `columnZeroKnown`: the damage kept "no indentation" visible (collapsed to one space, not stripped).
 * `what` names the inferred lines in reasons: rebuild.ts also infers removed lines, through the reversed hunk.
 */
export function inferIndentation(lines: DraftLine[], unit: string | null, columnZeroKnown: boolean, what = 'added line'): IndentResult {
  const out = lines.map((l) => l.text);
  const resolved = lines.map((l) => l.exact);
  const pairs = pairWithRemoved(lines);
  const post = (i: number) => lines[i].op !== '-';

  /** the nearest line before i in the post-image; code looks past comment lines, comments look at the line above */
  const prevIndex = (i: number, code = !isComment(out[i].trim())) => {
    for (let j = i - 1; j >= 0; j--) {
      if (!post(j) || !resolved[j] || out[j].trim() === '') continue;
      if (code && isComment(out[j].trim())) continue;
      return j;
    }
    return -1;
  };
  const nextExact = (i: number) => {
    for (let j = i + 1; j < lines.length; j++) if (post(j) && lines[j].exact && out[j].trim() !== '') return j;
    return -1;
  };

  for (let i = 0; i < lines.length; i++) {
    if (lines[i].op !== '+' || lines[i].exact) continue;
    const damaged = lines[i].text;
    const t = damaged.trim();
    const where = `${what} "${t.slice(0, 60)}"`;
    if (t === '') {
      out[i] = '';
      resolved[i] = true;
      continue;
    }
    if (isLabel(t) || /^#/.test(t) || (columnZeroKnown && lead(damaged) === '')) {
      out[i] = t;
      resolved[i] = true;
      continue;
    }
    const candidates: { indent: string; why: string }[] = [];
    const pair = pairs.get(i);
    if (pair !== undefined) candidates.push({ indent: lead(pair), why: 'the removed line it replaces' });

    const structural = unit === null ? null : structuralIndent(i, t, out, prevIndex, nextExact, unit);
    if (structural && 'ambiguous' in structural) {
      if (pair === undefined) return { ok: false, reason: `${where}: ${structural.ambiguous}` };
    } else if (structural) candidates.push(structural);

    if (candidates.length === 0) return { ok: false, reason: `${where}: no rule decides its indentation` };
    const distinct = new Set(candidates.map((c) => c.indent));
    if (distinct.size > 1) {
      return { ok: false, reason: `${where}: ${candidates.map((c) => `${c.why} says ${JSON.stringify(c.indent)}`).join(', ')}` };
    }
    const indent = candidates[0].indent;
    if (columnZeroKnown && indent === '') return { ok: false, reason: `${where}: the mail shows it indented, the rules say column 0` };
    out[i] = indent + t;
    resolved[i] = true;
  }

  // an added line right before a closing brace sits one step deeper than the brace
  if (unit !== null) {
    for (let i = 0; i + 1 < lines.length; i++) {
      if (lines[i].op !== '+' || lines[i].exact || out[i].trim() === '' || isLabel(out[i].trim())) continue;
      let j = i + 1;
      while (j < lines.length && !post(j)) j++;
      if (j >= lines.length || !lines[j].exact || !/^\}/.test(out[j].trim())) continue;
      const t = out[i].trim();
      if (/[{]$/.test(t) || /^\}/.test(t)) continue;
      const expected = lead(out[j]) + unit;
      const prev = prevIndex(i);
      const bodyOfControl = prev >= 0 && isBracelessControl(out[prev].trim()) && lead(out[i]) === lead(out[prev]) + unit;
      if (lead(out[i]) !== expected && !bodyOfControl) {
        return { ok: false, reason: `${what} "${t.slice(0, 60)}" does not sit one step inside the closing brace after it` };
      }
    }
  }
  return { ok: true, lines: out };
}

function structuralIndent(
  i: number,
  t: string,
  out: string[],
  prevIndex: (i: number, code?: boolean) => number,
  nextExact: (i: number) => number,
  unit: string,
): { indent: string; why: string } | { ambiguous: string } | null {
  if (/^\*(\s|\/|$)/.test(t)) {
    // a block comment's inner and closing lines sit one space right of its opening "/*"
    const c = prevIndex(i, false);
    if (c < 0) return { ambiguous: 'a comment line with no exact line above it' };
    const ct = out[c].trim();
    if (/^\/\*/.test(ct) && !/\*\/$/.test(ct)) return { indent: lead(out[c]) + ' ', why: 'the comment it continues' };
    if (/^\*(\s|$)/.test(ct) && !/\*\/$/.test(ct)) return { indent: lead(out[c]), why: 'the comment it continues' };
    return { ambiguous: 'a comment line that follows no open comment' };
  }
  const p = prevIndex(i);
  const fromNext = () => {
    const n = nextExact(i);
    if (n < 0) return { ambiguous: 'no exact line around it to take the indentation from' };
    const nt = out[n].trim();
    const ni = lead(out[n]);
    if (/^\}/.test(nt)) return { indent: ni + unit, why: 'the closing brace after it' };
    if (/^\}/.test(t)) return { ambiguous: 'a closing brace with no exact line before it' };
    return { indent: ni, why: 'the line after it' };
  };
  if (p < 0) return fromNext();
  const pt = out[p].trim();
  const pi = lead(out[p]);
  if (/^\}/.test(t)) {
    if (/\{$/.test(pt)) return { indent: pi, why: 'the opening brace before it' };
    if (!pi.endsWith(unit)) return { ambiguous: 'cannot step out of the block before it' };
    return { indent: pi.slice(0, pi.length - unit.length), why: 'the block it closes' };
  }
  if (/\{$/.test(pt)) return { indent: pi + unit, why: 'the opening brace before it' };
  if (isLabel(pt)) return fromNext();
  if (/^(case\b.*|default\s*):$/.test(pt)) return { indent: pi + unit, why: 'the case label before it' };
  if (isBracelessControl(pt)) return { indent: pi + unit, why: `the "${pt.slice(0, 40)}" before it` };
  if (isContinued(pt)) return { ambiguous: 'it follows an unfinished statement (continuation alignment is unknown)' };
  const pp = prevIndex(p);
  if (pp >= 0 && isBracelessControl(out[pp].trim()) && pi === lead(out[pp]) + unit) {
    return { indent: lead(out[pp]), why: 'the end of the one-line body before it' };
  }
  return { indent: pi, why: 'the statement before it' };
}
