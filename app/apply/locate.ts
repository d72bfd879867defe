/**
 * Where does a hunk go on the target file? Exact search (stated line first, then nearest outward, like `patch`),
 * and whitespace-insensitive relocation that must be unique. Repeated anchors are told apart by the enclosing
 * function named in the hunk's @@ section; anything still ambiguous is reported, never guessed.
 */
import type { Hunk, HunkLine } from '../core/patch.ts';
import { preImage } from '../core/patch.ts';
import { codeLines, identifiersOf, sectionFits } from './c-syntax.ts';
import { normalizeWs } from './text.ts';

export type Choice = { start: number } | { ambiguous: number[] } | null;

/** Every index where `pre` matches `lines` under `eq`. */
export function findWindows(lines: string[], pre: string[], eq: (a: string, b: string) => boolean): number[] {
  const out: number[] = [];
  const n = pre.length;
  if (n === 0) return out;
  for (let i = 0; i + n <= lines.length; i++) {
    let ok = true;
    for (let j = 0; j < n; j++) {
      if (!eq(lines[i + j], pre[j])) {
        ok = false;
        break;
      }
    }
    if (ok) out.push(i);
  }
  return out;
}

/** Normalized copy of lines, computed once per file for whitespace-insensitive searches. */
export function normalizedLines(lines: string[]): string[] {
  return lines.map(normalizeWs);
}

/** 0-based index where upstream says the pre-image starts. */
export function statedStart(h: Hunk): number {
  return Math.max(0, h.oldLines === 0 ? h.oldStart : h.oldStart - 1);
}

/**
 * `patch`-like choice among exact matches: the stated position when it matches; otherwise the matches that sit in
 * the function named by the section (when the target lets us tell), nearest first; a tie in distance is ambiguous.
 */
export function chooseNearest(cands: number[], h: Hunk, lines: string[]): Choice {
  if (!cands.length) return null;
  const stated = statedStart(h);
  if (cands.includes(stated)) return { start: stated };
  const pool = preferSection(cands, h, lines);
  const dist = (i: number) => Math.abs(i - stated);
  const sorted = [...pool].sort((a, b) => dist(a) - dist(b));
  if (sorted.length > 1 && dist(sorted[0]) === dist(sorted[1])) return { ambiguous: sorted };
  return { start: sorted[0] };
}

/** Relocation: the match must be unique in the file, or unique among matches in the section's function. */
export function chooseUnique(cands: number[], h: Hunk, lines: string[]): Choice {
  if (!cands.length) return null;
  if (cands.length === 1) return { start: cands[0] };
  const fitting = cands.filter((i) => sectionFits(h.section, lines, i) === true);
  if (fitting.length === 1) return { start: fitting[0] };
  return { ambiguous: cands };
}

function preferSection(cands: number[], h: Hunk, lines: string[]): number[] {
  const fits = cands.map((i) => sectionFits(h.section, lines, i));
  const yes = cands.filter((_, k) => fits[k] === true);
  if (yes.length) return yes;
  const unknown = cands.filter((_, k) => fits[k] === null);
  return unknown.length ? unknown : cands;
}

/** The hunk's lines at `start` on the target: context and removed lines take the target's exact text. */
export function linesAt(h: Hunk, targetLines: string[], start: number, added?: (l: HunkLine) => string): HunkLine[] {
  const out: HunkLine[] = [];
  let t = start;
  for (const l of h.lines) {
    if (l.op === '+') {
      out.push({ op: '+', text: added ? added(l) : l.text, ...(l.noEol ? { noEol: true } : {}) });
    } else {
      out.push({ op: l.op, text: targetLines[t] ?? l.text });
      t++;
    }
  }
  return out;
}

export function preLength(h: Hunk): number {
  return preImage(h).length;
}

/** Target lines around a place, for refusal reports. */
export function excerpt(lines: string[], start: number, length: number, margin = 3): string[] {
  const a = Math.max(0, start - margin);
  const b = Math.min(lines.length, start + length + margin);
  return lines.slice(a, b);
}

/** A line that anchors by itself: some identifier and more than punctuation (a lone `}` or `return 0;` does not). */
export function substantial(line: string): boolean {
  const n = normalizeWs(line);
  return n.length >= 6 && /[A-Za-z_]\w/.test(n);
}

/** target lines on each side of a place in which a dropped line's identifiers may have moved */
const NEAR = 5;

/**
 * Do the added lines use a name that, around the place, only upstream's dropped context lines have (upstream's
 * `attrs` in a dropped line where the target passes `0`)? Then that difference is the change's business, and
 * dropping the line would hide it.
 */
export function addedNeedDroppedName(added: string[], dropped: string[], lines: string[], from: number, to: number): boolean {
  const used = new Set(codeLines(added).flatMap(identifiersOf));
  const near = new Set(codeLines(lines.slice(Math.max(0, from - NEAR), to + NEAR)).flatMap(identifiersOf));
  return codeLines(dropped).flatMap(identifiersOf).some((id) => used.has(id) && !near.has(id));
}
