/**
 * The backport's diff compared with upstream's, hunk by hunk, on the changed (+/-) lines only: line numbers and
 * context are the target's business. Every difference must be explained by a recorded adaptation (a token
 * substitution or rename applied to that line, a re-indentation, a file move); removed lines may differ in whitespace only, since
 * they are the target's own text. Whatever is left is `unexplained` and becomes needs-human.
 */
import type { Adaptation } from '../core/backport.ts';
import type { FilePatch, HunkLine } from '../core/patch.ts';
import { filePath } from '../core/patch.ts';
import { maskNonCode } from './c-syntax.ts';
import { normalizeWs, replaceToken, shiftIndent } from './text.ts';

export interface Interdiff {
  text: string;
  unexplained: string[];
}

function changed(lines: HunkLine[]): HunkLine[] {
  return lines.filter((l) => l.op !== ' ');
}

/**
 * Upstream's changed lines as the adaptations say they should look on the target, each adaptation in the order it
 * was made: a token substitution or rename per line, a re-indentation of added lines, or an exact rewrite of a text
 * within a run of added lines (an API call in its older form, which may span or add lines).
 */
function expected(lines: HunkLine[], adaptations: Adaptation[]): HunkLine[] {
  let out = lines;
  for (const a of adaptations) {
    const { from, to, indentShift, rewriteFrom, rewriteTo } = a.params;
    if (rewriteFrom !== undefined && rewriteTo !== undefined) out = rewriteInRuns(out, rewriteFrom, rewriteTo);
    else
      out = out.map((l) => {
        let text = l.text;
        if (from !== undefined && to !== undefined && !a.params.fromPath) text = replaceToken(text, from, to);
        if (indentShift !== undefined && l.op === '+') text = shiftIndent(text, Number(indentShift));
        return { ...l, text };
      });
  }
  return out;
}

/** Where `from` starts in `text` as code (not in a comment or string, not the tail of a longer name), or -1. */
function codeIndexOf(text: string, from: string): number {
  const code = maskNonCode(text);
  for (let i = text.indexOf(from); i >= 0; i = text.indexOf(from, i + 1)) {
    if (code[i] === text[i] && !/[\w.>]/.test(text[i - 1] ?? ' ')) return i;
  }
  return -1;
}

/** `from` replaced once by `to` in the first run of consecutive added lines that has it as code. */
function rewriteInRuns(lines: HunkLine[], from: string, to: string): HunkLine[] {
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && lines[j].op === '+') j++;
    if (j > i) {
      const text = lines.slice(i, j).map((l) => l.text).join('\n');
      const at = codeIndexOf(text, from);
      if (at >= 0) {
        const rewritten = (text.slice(0, at) + to + text.slice(at + from.length)).split('\n').map((t) => ({ op: '+' as const, text: t }));
        return [...lines.slice(0, i), ...rewritten, ...lines.slice(j)];
      }
    }
    i = Math.max(j, i + 1);
  }
  return lines;
}

function same(exp: HunkLine, got: HunkLine): boolean {
  if (exp.op !== got.op) return false;
  return exp.op === '-' ? normalizeWs(exp.text) === normalizeWs(got.text) : exp.text === got.text;
}

export function interdiff(upstream: FilePatch[], backport: FilePatch[], adaptations: Adaptation[]): Interdiff {
  const text: string[] = [];
  const unexplained: string[] = [];
  if (upstream.length !== backport.length) unexplained.push(`upstream changes ${upstream.length} files, the backport ${backport.length}`);
  for (let f = 0; f < Math.min(upstream.length, backport.length); f++) {
    const up = upstream[f];
    const bp = backport[f];
    const upPath = filePath(up);
    const bpPath = filePath(bp);
    if (upPath !== bpPath) {
      const moved = adaptations.some((a) => a.params.fromPath === upPath && a.params.toPath === bpPath);
      text.push(`# ${upPath} -> ${bpPath}${moved ? '' : ' (unexplained)'}`);
      if (!moved) unexplained.push(`${upPath}: applied to ${bpPath} without a file-moved adaptation`);
    }
    if (up.hunks.length !== bp.hunks.length) {
      unexplained.push(`${upPath}: upstream has ${up.hunks.length} hunks, the backport ${bp.hunks.length}`);
      continue;
    }
    for (let h = 0; h < up.hunks.length; h++) {
      const own = adaptations.filter((a) => a.file === upPath && a.hunk === h + 1 && !a.params.fromPath);
      // a hunk that removes the target's own version of what upstream removes: its removed lines are the target's by
      // construction (removed-definition, drifted-removal), only what it adds must be upstream's
      const ownRemoval = own.some((a) => a.params.targetRemoval !== undefined);
      const keep = (l: HunkLine) => !(ownRemoval && l.op === '-');
      const raw = changed(up.hunks[h].lines).filter(keep);
      const exp = expected(raw, own);
      const got = changed(bp.hunks[h].lines).filter(keep);
      const rawSame = raw.length === got.length && raw.every((l, i) => l.op === got[i].op && l.text === got[i].text);
      if (rawSame) continue;
      text.push(`--- upstream ${upPath} hunk ${h + 1}`, `+++ backport ${bpPath} hunk ${h + 1}`);
      for (const a of own) text.push(`# ${a.rule}: ${a.note}`);
      const n = Math.max(exp.length, got.length);
      const bad: string[] = [];
      for (let i = 0; i < n; i++) {
        const u = raw[i];
        const e = exp[i];
        const g = got[i];
        if (u && g && u.op === g.op && u.text === g.text) continue;
        if (u) text.push(`-${u.op}${u.text}`);
        if (g) text.push(`+${g.op}${g.text}`);
        if (!e || !g || !same(e, g)) bad.push(g ? `${g.op}${g.text}` : `${u!.op}${u!.text}`);
      }
      if (bad.length) {
        text.push('# unexplained');
        unexplained.push(...bad.map((b) => `${upPath} hunk ${h + 1}: ${b}`));
      }
    }
  }
  return { text: text.length ? text.join('\n') + '\n' : '', unexplained };
}
