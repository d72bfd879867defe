/**
 * Placing a damaged hunk in a real file: whitespace-insensitive matching of one image (pre or post) of the hunk
 * against the file's lines, with the blank lines the mail dropped re-inserted from the file.
 */
import type { Hunk, HunkLine } from '../core/patch.ts';

/** Whitespace-insensitive form of a line: mail damage collapses and strips whitespace, it never adds text. */
export function norm(s: string): string {
  return s.replace(/\s+/g, '');
}

export type Image = 'pre' | 'post';

export interface Placement {
  /** 0-based index in the file of the first matched line */
  start: number;
  /** one past the last matched file line */
  end: number;
  /** hunk line index → file line index, for the lines of the image */
  mapped: Map<number, number>;
  /** file line indices of blank lines the mail dropped, keyed by the hunk line index they precede */
  dropped: Map<number, number[]>;
}

function inImage(l: HunkLine, image: Image): boolean {
  return image === 'pre' ? l.op !== '+' : l.op !== '-';
}

/** Every position where the image of `hunk` matches `file` contiguously, modulo whitespace and dropped blanks. */
export function placeHunk(hunk: Hunk, file: string[], image: Image): Placement[] {
  const wanted = hunk.lines.map((l, i) => ({ i, n: norm(l.text), l })).filter((x) => inImage(x.l, image));
  if (wanted.length === 0) return [];
  const normFile = file.map(norm);
  const out: Placement[] = [];
  for (let s = 0; s < file.length; s++) {
    if (normFile[s] !== wanted[0].n) continue;
    const mapped = new Map<number, number>();
    const dropped = new Map<number, number[]>();
    let f = s;
    let ok = true;
    for (const w of wanted) {
      const skipped: number[] = [];
      while (f < file.length && normFile[f] !== w.n && normFile[f] === '') skipped.push(f++);
      if (f >= file.length || normFile[f] !== w.n) {
        ok = false;
        break;
      }
      if (skipped.length) dropped.set(w.i, skipped);
      mapped.set(w.i, f++);
    }
    if (ok) out.push({ start: s, end: f, mapped, dropped });
  }
  return out;
}

/**
 * git emits three context lines around changes: when the mail's hunk has fewer at an edge and the file has blank
 * lines there, the mail dropped them. Returns how many blank lines to add before and after.
 */
export function edgeBlanks(hunk: Hunk, file: string[], p: Placement, context = 3): { before: number; after: number } {
  const firstChange = hunk.lines.findIndex((l) => l.op !== ' ');
  const lastChange = hunk.lines.length - 1 - [...hunk.lines].reverse().findIndex((l) => l.op !== ' ');
  if (firstChange < 0) return { before: 0, after: 0 };
  const countContext = (from: number, to: number) => {
    let n = 0;
    for (let i = from; i < to; i++) if (hunk.lines[i].op === ' ') n += 1 + (p.dropped.get(i)?.length ?? 0);
    return n;
  };
  let before = 0;
  let leading = countContext(0, firstChange);
  while (leading < context && p.start - before - 1 >= 0 && norm(file[p.start - before - 1]) === '') {
    before++;
    leading++;
  }
  let after = 0;
  let trailing = countContext(lastChange + 1, hunk.lines.length);
  while (trailing < context && p.end + after < file.length && norm(file[p.end + after]) === '') {
    after++;
    trailing++;
  }
  return { before, after };
}

export function lineCounts(lines: HunkLine[]): { old: number; new: number } {
  let o = 0;
  let n = 0;
  for (const l of lines) {
    if (l.op !== '+') o++;
    if (l.op !== '-') n++;
  }
  return { old: o, new: n };
}

/** How far a run may sit from the anchor that vouches for it, beyond their distance in the mail's hunk. */
const ANCHOR_SLACK = 6;

export interface AnchoredRuns {
  /** hunk line index → the exact file line of that removed line */
  lines: Map<number, string>;
  /** runs (first hunk line index) found more than once near their anchors: the file cannot decide them */
  ambiguous: number[];
}

/**
 * The removed lines of `hunk`, run by run, found verbatim (modulo whitespace) in `file`, an older copy whose
 * context may have diverged (so the whole pre-image does not match). A run counts only near the nearest pre-image
 * line on each side that occurs exactly once in the file (its anchors), and only when exactly one place there
 * matches: a lone "break;" is everywhere, right after the unique "error = f(...)" it is one line.
 */
export function anchoredRemovedRuns(hunk: Hunk, file: string[]): AnchoredRuns {
  const normFile = file.map(norm);
  const count = new Map<string, number>();
  for (const n of normFile) count.set(n, (count.get(n) ?? 0) + 1);
  const firstAt = new Map<string, number>();
  normFile.forEach((n, i) => {
    if (!firstAt.has(n)) firstAt.set(n, i);
  });

  // pre-image position of each hunk line (added lines share the position of the next pre-image line)
  const prePos: number[] = [];
  let pos = 0;
  for (const l of hunk.lines) {
    prePos.push(pos);
    if (l.op !== '+') pos++;
  }
  const anchors: { idx: number; at: number }[] = [];
  hunk.lines.forEach((l, idx) => {
    const n = norm(l.text);
    if (l.op !== '+' && n !== '' && count.get(n) === 1) anchors.push({ idx, at: firstAt.get(n) as number });
  });

  const out: AnchoredRuns = { lines: new Map(), ambiguous: [] };
  for (let i = 0; i < hunk.lines.length; ) {
    if (hunk.lines[i].op !== '-') {
      i++;
      continue;
    }
    const start = i;
    while (i < hunk.lines.length && hunk.lines[i].op === '-') i++;
    const wanted = hunk.lines.slice(start, i).map((l) => norm(l.text));
    const before = [...anchors].reverse().find((a) => a.idx < start);
    const after = anchors.find((a) => a.idx >= i);
    if (!before && !after) continue;
    const fits = (m: number) => {
      if (before && (m <= before.at || m - before.at > prePos[start] - prePos[before.idx] + ANCHOR_SLACK)) return false;
      if (after && (m + wanted.length > after.at || after.at - m > prePos[after.idx] - prePos[start] + ANCHOR_SLACK)) return false;
      return true;
    };
    const matches: number[] = [];
    for (let m = 0; m + wanted.length <= file.length; m++) {
      if (wanted.every((w, j) => normFile[m + j] === w) && fits(m)) matches.push(m);
    }
    if (matches.length > 1) out.ambiguous.push(start);
    if (matches.length !== 1) continue;
    wanted.forEach((_, j) => out.lines.set(start + j, file[matches[0] + j]));
  }
  return out;
}
