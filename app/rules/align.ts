/**
 * Renames learned by aligning two versions of one file: upstream's copy BEFORE the change and the target's copy.
 * Lines are aligned first (a patience-style line diff of their code, whitespace-insensitive); inside each block of differing lines,
 * lines are paired when most of their tokens agree; a paired line then shows its renames as single identifiers
 * replaced by single identifiers at the same place (`data->cmd_ops->` / `data->ops->`). Every place upstream's
 * spelling is seen, and every place one of the two names is kept as it is, is evidence for or against a rename.
 */
import { diffArrays } from 'diff';
import { codeLines } from '../apply/c-syntax.ts';
import { isIdentifier, normalizeWs, tokenize } from '../apply/text.ts';

export interface RenameEvidence {
  /** upstream's spelling */
  from: string;
  /** the target's spelling at the same place */
  to: string;
  /** aligned line pairs showing from -> to, as 1-based target line numbers */
  targetLines: number[];
}

export interface Alignment {
  /** per upstream identifier, every target spelling seen in its place (one entry when the mapping is consistent) */
  renames: Map<string, Map<string, RenameEvidence>>;
  /** identifiers both files spell the same at an aligned place (equal lines, or equal tokens of paired lines) */
  kept: Set<string>;
  /** every identifier of upstream's code */
  upstreamWords: Set<string>;
  /** per upstream line (0-based), the target line it is aligned with (equal or paired), or -1 */
  upToTarget: Int32Array;
}

/** share of tokens two lines have in common (by multiset), relative to the longer line */
function similarity(a: string[], b: string[]): number {
  if (!a.length || !b.length) return 0;
  const count = new Map<string, number>();
  for (const t of a) count.set(t, (count.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of b) {
    const c = count.get(t) ?? 0;
    if (c > 0) {
      common++;
      count.set(t, c - 1);
    }
  }
  return common / Math.max(a.length, b.length);
}

/** a line worth aligning on: more than braces and a keyword */
function meaningful(toks: string[]): boolean {
  return toks.filter((t) => isIdentifier(t)).length >= 2;
}

/** Pair lines of a differing block in order: each upstream line with the next target line it mostly agrees with. */
function pairBlock(up: string[][], tgt: string[][]): [number, number][] {
  const out: [number, number][] = [];
  let j = 0;
  for (let i = 0; i < up.length && j < tgt.length; i++) {
    if (!meaningful(up[i])) continue;
    for (let k = j; k < tgt.length && k < j + 4; k++) {
      if (similarity(up[i], tgt[k]) >= 0.6) {
        out.push([i, k]);
        j = k + 1;
        break;
      }
    }
  }
  return out;
}

const cache = new WeakMap<string[], WeakMap<string[], Alignment>>();

export function alignFiles(upLines: string[], tgtLines: string[]): Alignment {
  let byTarget = cache.get(upLines);
  if (!byTarget) cache.set(upLines, (byTarget = new WeakMap()));
  let a = byTarget.get(tgtLines);
  if (!a) byTarget.set(tgtLines, (a = computeAlignment(upLines, tgtLines)));
  return a;
}

function computeAlignment(upLines: string[], tgtLines: string[]): Alignment {
  const upCode = codeLines(upLines);
  const tgCode = codeLines(tgtLines);
  const upNorm = upCode.map(normalizeWs);
  const tgNorm = tgCode.map(normalizeWs);
  const renames = new Map<string, Map<string, RenameEvidence>>();
  const kept = new Set<string>();
  const upstreamWords = new Set(upCode.flatMap((c) => tokenize(c).filter(isIdentifier)));
  const upToTarget = new Int32Array(upLines.length).fill(-1);
  const changes = lineDiff(upNorm, tgNorm);

  const record = (from: string, to: string, tgtLine: number) => {
    let m = renames.get(from);
    if (!m) renames.set(from, (m = new Map()));
    let e = m.get(to);
    if (!e) m.set(to, (e = { from, to, targetLines: [] }));
    if (!e.targetLines.includes(tgtLine)) e.targetLines.push(tgtLine);
  };

  let ui = 0;
  let ti = 0;
  for (let c = 0; c < changes.length; c++) {
    const ch = changes[c];
    if (!ch.added && !ch.removed) {
      for (let k = 0; k < ch.count; k++) {
        upToTarget[ui + k] = ti + k;
        for (const t of tokenize(upCode[ui + k])) if (isIdentifier(t)) kept.add(t);
      }
      ui += ch.count;
      ti += ch.count;
      continue;
    }
    // a block of differing lines: removed (upstream) and added (target) next to each other, in either order
    let removed = 0;
    let added = 0;
    while (c < changes.length && (changes[c].added || changes[c].removed)) {
      if (changes[c].removed) removed += changes[c].count;
      else added += changes[c].count;
      c++;
    }
    c--;
    const upToks = upCode.slice(ui, ui + removed).map(tokenize);
    const tgToks = tgCode.slice(ti, ti + added).map(tokenize);
    for (const [i, k] of pairBlock(upToks, tgToks)) {
      upToTarget[ui + i] = ti + k;
      pairTokens(upToks[i], tgToks[k], ti + k + 1, record, kept);
    }
    ui += removed;
    ti += added;
  }
  return { renames, kept, upstreamWords, upToTarget };
}

interface LineChange {
  count: number;
  added?: boolean;
  removed?: boolean;
}

/**
 * Line diff in the manner of patience diff: lines unique in both files anchor the alignment (the longest run of
 * them in the same order), and only the gaps between anchors go through Myers' diff. Two versions of a large
 * kernel file differ in thousands of lines; a whole-file Myers diff costs seconds there, the gaps milliseconds.
 */
function lineDiff(a: string[], b: string[]): LineChange[] {
  const count = (xs: string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  const posB = new Map<string, number>();
  b.forEach((x, i) => {
    if (cb.get(x) === 1) posB.set(x, i);
  });
  // candidate anchors in a's order; the longest increasing run of their b positions keeps them in order
  const cand: [number, number][] = [];
  a.forEach((x, i) => {
    if (x.length >= 4 && ca.get(x) === 1 && posB.has(x)) cand.push([i, posB.get(x)!]);
  });
  const anchors = longestIncreasing(cand);
  const out: LineChange[] = [];
  const push = (c: LineChange) => {
    const last = out[out.length - 1];
    if (last && !!last.added === !!c.added && !!last.removed === !!c.removed) last.count += c.count;
    else out.push({ ...c });
  };
  let ai = 0;
  let bi = 0;
  for (const [ax, bx] of [...anchors, [a.length, b.length] as [number, number]]) {
    const ga = a.slice(ai, ax);
    const gb = b.slice(bi, bx);
    const d = ga.length && gb.length ? diffArrays(ga, gb, { maxEditLength: 400 }) : undefined;
    if (d) for (const c of d) push({ count: c.count ?? c.value.length, added: c.added, removed: c.removed });
    else {
      if (ga.length) push({ count: ga.length, removed: true });
      if (gb.length) push({ count: gb.length, added: true });
    }
    if (ax < a.length) push({ count: 1 });
    ai = ax + 1;
    bi = bx + 1;
  }
  return out;
}

/** The longest subsequence of pairs whose second members increase (pairs come sorted by their first member). */
function longestIncreasing(pairs: [number, number][]): [number, number][] {
  const tails: number[] = [];
  const prev = new Int32Array(pairs.length).fill(-1);
  for (let i = 0; i < pairs.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]][1] < pairs[i][1]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const out: [number, number][] = [];
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) out.push(pairs[i]);
  return out.reverse();
}

/** The token diff of two lines as runs: tokens both have, and each group of changed tokens (removed, added). */
export type TokenRun = { kept: string[] } | { removed: string[]; added: string[] };
export function tokenRuns(up: string[], tgt: string[]): TokenRun[] {
  const d = diffArrays(up, tgt);
  const out: TokenRun[] = [];
  for (let c = 0; c < d.length; c++) {
    if (!d[c].added && !d[c].removed) {
      out.push({ kept: d[c].value });
      continue;
    }
    const removed: string[] = [];
    const added: string[] = [];
    for (; c < d.length && (d[c].added || d[c].removed); c++) (d[c].removed ? removed : added).push(...d[c].value);
    c--;
    out.push({ removed, added });
  }
  return out;
}

/** A change group that is one identifier spelled another way: a rename candidate. */
export function singleRename(run: { removed: string[]; added: string[] }): [string, string] | null {
  const { removed, added } = run;
  return removed.length === 1 && added.length === 1 && isIdentifier(removed[0]) && isIdentifier(added[0]) ? [removed[0], added[0]] : null;
}

/** Token diff of one aligned line pair: single identifiers replaced by single identifiers are renames. */
function pairTokens(up: string[], tgt: string[], tgtLine: number, record: (f: string, t: string, l: number) => void, kept: Set<string>): void {
  for (const run of tokenRuns(up, tgt)) {
    if ('kept' in run) {
      for (const t of run.kept) if (isIdentifier(t)) kept.add(t);
      continue;
    }
    const pair = singleRename(run);
    if (pair) record(pair[0], pair[1], tgtLine);
  }
}

export type RenameVerdict = { to: string; evidence: RenameEvidence } | { refusal: string };

/**
 * Is upstream's `from` consistently the target's `to`? null when the alignment says nothing about `from`. Counter-
 * evidence refuses: `from` spelled two ways, `from` kept as is at some aligned place, the target's name also used by
 * upstream (the two names coexist there: different things, not two spellings of one), or the target's name standing
 * for more than one upstream name.
 */
export function renameOf(al: Alignment, from: string, minEvidence: number): RenameVerdict | null {
  const m = al.renames.get(from);
  if (!m) return null;
  if (m.size > 1) {
    const ways = [...m.values()].map((e) => `\`${e.to}\` (${e.targetLines.length})`).join(', ');
    return { refusal: `\`${from}\` is aligned with ${ways} on the target: not one rename` };
  }
  const e = [...m.values()][0];
  if (al.kept.has(from)) return { refusal: `\`${from}\` is also kept as is at aligned lines: not a rename` };
  if (al.upstreamWords.has(e.to)) return { refusal: `upstream uses both \`${from}\` and \`${e.to}\`: different names, not one renamed` };
  for (const [other, tos] of al.renames) {
    if (other !== from && tos.has(e.to)) return { refusal: `\`${e.to}\` stands for both \`${from}\` and \`${other}\` upstream: not one rename` };
  }
  if (e.targetLines.length < minEvidence) return { refusal: `\`${from}\` -> \`${e.to}\` is seen on ${e.targetLines.length} aligned line(s) only` };
  return { to: e.to, evidence: e };
}
