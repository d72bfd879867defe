/**
 * aligned-context ("[ Adjust context ]" for context that drifted anywhere in the hunk, not only at its edges): the
 * hunk's pre-image (context + removed lines) is aligned line by line with the target, so a context line may be
 * missing on the target, read differently there, or the target may have a line upstream lacks. The change is
 * applied as upstream wrote it; only context is given up, and only when the drift cannot matter for the change.
 *
 * Why it is this strict: the looser context-drift rule (rules/context-drift.yml, disabled) placed 10 real adapted
 * backports wrongly for 3 identical ones, because drifted context near a change is usually WHY the older branch
 * needed a different change. So a placement must pass every guard:
 *   - every removed line matches (whitespace-insensitively), each group's removed lines contiguously;
 *   - each group of added lines is pinned: the pre-image line right next to it on at least one side matches, and a
 *     matched neighbour has no extra target line between it and the change (extra lines there make the insertion
 *     point a guess, and are often the change itself, partly applied already);
 *   - drift next to a group of added lines is data, not flow: file-scope lines (tables, prototypes, globals), local
 *     declarations, comments and blank lines; an executable statement that differs next to the change (a call, an
 *     assignment, an `if`, a `return`) changes what the added code runs with, so it is refused;
 *   - identifiers of upstream's drifted lines that the target lacks near the place must not be used by added lines;
 *   - no added line is already there; the place is in the function the @@ section names;
 *   - enough of the pre-image matches, and no other place aligns (nearly) as well.
 * Renames (renameMinEvidence): a name of the pre-image the target file lacks, which aligning upstream's file with the
 * target's proves consistently spelled another way (the evidence of renamed-context, app/rules/align.ts), is read in
 * the target's spelling: in context and removed lines (so such a line matches) and in the added lines alike. Every
 * guard above then judges the renamed hunk; the note names each rename used with its evidence.
 * The safety checks of the engine run after placement as for any other rule.
 */
import type { HunkLine } from '../core/patch.ts';
import type { HunkContext } from '../apply/types.ts';
import { codeLines, declaredInCode, enclosingFunctionStart, functionNameOf, identifiersOf, isLabel, sectionFits } from '../apply/c-syntax.ts';
import { addedNeedDroppedName, normalizedLines, substantial } from '../apply/locate.ts';
import { normalizeWs, replaceToken, tokenize } from '../apply/text.ts';
import { params as renameParams, provenRenamesFor } from './aligned-rename.ts';
import type { RenameEvidence } from './align.ts';
import type { PlaceOutcome } from './engine.ts';
import { adaptation } from './note.ts';
import type { AlignedContextRule } from './schema.ts';

/** one pre-image line of the hunk */
interface PreLine {
  op: ' ' | '-';
  text: string;
  norm: string;
  weight: number;
  /** upstream's own line, before any rename */
  orig: string;
}

/** a run of changed lines: pre-image indices [from, to) are its removed lines; `added` its added lines */
interface Group {
  from: number;
  to: number;
  added: number;
}

interface Alignment {
  /** target index of each pre-image line, -1 when it has no counterpart */
  map: number[];
  /** the pre-image line's counterpart reads differently (a few tokens substituted): it pins, but it drifted */
  sub: boolean[];
  score: number;
  start: number;
  end: number;
}

/** Matched lines score by how much they anchor; an extra target line inside the span costs; a dropped line a little. */
const EXTRA_COST = 0.25;
/** a counterpart line with a few tokens substituted anchors less than an equal one */
const SUB_FACTOR = 0.5;
/** at most this many differing tokens make two lines counterparts */
const MAX_SUB_TOKENS = 2;
const DROP_COST = 0.01;
/** a line seen more often than this in the file does not seed a search window */
const MAX_SEED_HITS = 20;

function preLines(lines: HunkLine[], orig: HunkLine[]): { pre: PreLine[]; groups: Group[] } {
  const pre: PreLine[] = [];
  const groups: Group[] = [];
  let cur: Group | null = null;
  for (const [i, l] of lines.entries()) {
    if (l.op === ' ') {
      cur = null;
      pre.push({ op: ' ', text: l.text, norm: normalizeWs(l.text), weight: substantial(l.text) ? 1 : 0.3, orig: orig[i].text });
      continue;
    }
    if (!cur) groups.push((cur = { from: pre.length, to: pre.length, added: 0 }));
    if (l.op === '-') {
      pre.push({ op: '-', text: l.text, norm: normalizeWs(l.text), weight: substantial(l.text) ? 1 : 0.3, orig: orig[i].text });
      cur.to = pre.length;
    } else cur.added++;
  }
  return { pre, groups };
}

/** Same token count, and at most MAX_SUB_TOKENS positions differ, each a word, number or string on both sides. */
function substituted(x: string[], y: string[]): boolean {
  if (x.length !== y.length || x.length < 3) return false;
  let diff = 0;
  for (let k = 0; k < x.length; k++) {
    if (x[k] === y[k]) continue;
    if (!/^[\w"']/.test(x[k]) || !/^[\w"']/.test(y[k]) || ++diff > MAX_SUB_TOKENS) return false;
  }
  return diff > 0 && diff * 2 < x.length;
}

const preTokens = new WeakMap<PreLine[], string[][]>();
/** the pre-image's tokens, once per hunk however many windows are aligned */
function tokensOf(pre: PreLine[]): string[][] {
  let t = preTokens.get(pre);
  if (!t) preTokens.set(pre, (t = pre.map((p) => tokenize(p.text))));
  return t;
}

/** Best alignment of the whole pre-image inside target lines [a, b): removed lines must match, context may drop. */
function align(pre: PreLine[], lines: string[], norm: string[], a: number, b: number): Alignment | null {
  const n = pre.length;
  const w = b - a;
  const NEG = -Infinity;
  const dp = Array.from({ length: n + 1 }, () => new Float64Array(w + 1).fill(NEG));
  // 0 = match, 1 = drop pre line, 2 = extra target line
  const how = Array.from({ length: n + 1 }, () => new Int8Array(w + 1).fill(-1));
  const preToks = tokensOf(pre);
  const tToks: string[][] = [];
  const isSub = (j: number, t: number) => pre[j].op === ' ' && substituted(preToks[j], (tToks[t] ??= tokenize(lines[a + t])));
  for (let t = 0; t <= w; t++) dp[0][t] = 0;
  for (let j = 0; j <= n; j++) {
    for (let t = 0; t <= w; t++) {
      const cur = dp[j][t];
      if (cur === NEG) continue;
      if (j < n && t < w && norm[a + t] === pre[j].norm && cur + pre[j].weight > dp[j + 1][t + 1]) {
        dp[j + 1][t + 1] = cur + pre[j].weight;
        how[j + 1][t + 1] = 0;
      } else if (j < n && t < w && norm[a + t] !== pre[j].norm && cur + pre[j].weight * SUB_FACTOR > dp[j + 1][t + 1] && isSub(j, t)) {
        dp[j + 1][t + 1] = cur + pre[j].weight * SUB_FACTOR;
        how[j + 1][t + 1] = 3;
      }
      if (j < n && pre[j].op === ' ' && cur - DROP_COST > dp[j + 1][t]) {
        dp[j + 1][t] = cur - DROP_COST;
        how[j + 1][t] = 1;
      }
      if (j > 0 && t < w && cur - EXTRA_COST > dp[j][t + 1]) {
        dp[j][t + 1] = cur - EXTRA_COST;
        how[j][t + 1] = 2;
      }
    }
  }
  let bestT = -1;
  for (let t = 0; t <= w; t++) if (dp[n][t] > NEG && (bestT < 0 || dp[n][t] > dp[n][bestT])) bestT = t;
  if (bestT < 0) return null;
  const map = new Array<number>(n).fill(-1);
  const sub = new Array<boolean>(n).fill(false);
  let j = n;
  let t = bestT;
  while (j > 0) {
    const h = how[j][t];
    if (h === 0 || h === 3) {
      map[--j] = a + --t;
      sub[j] = h === 3;
    }
    else if (h === 1) j--;
    else if (h === 2) t--;
    else return null;
  }
  const matched = map.filter((x) => x >= 0);
  if (!matched.length) return null;
  return { map, sub, score: dp[n][bestT], start: matched[0], end: matched[matched.length - 1] };
}

/** Comment-only or blank (no code at all). */
function noCode(code: string): boolean {
  return code.trim() === '';
}

/**
 * Is line k of `seq` part of a local declaration (`int i, j;`, `char *buf = f(a,` + continuation)? The statement
 * start is found by walking back over lines that do not end one.
 */
function inDeclaration(codes: string[], k: number): boolean {
  let s = k;
  while (s > 0 && k - s < 6) {
    const prev = codes[s - 1].trim();
    if (prev === '' || /[;{}:]$/.test(prev) || /^#/.test(prev)) break;
    s--;
  }
  const head = codes[s];
  if (/^\s*(return|goto|if|for|while|switch|case|do|else|break|continue)\b/.test(head) || /^\s*#/.test(head)) return false;
  // it opens with `type name` (qualifiers, struct/enum/union, pointers allowed): `sizeof(struct x)` inside an
  // expression is not a declaration
  if (!/^\s*(?:(?:const|static|volatile|unsigned|signed|struct|enum|union|register)\s+)*[A-Za-z_]\w*(?:\s+|\s*\*+\s*)[A-Za-z_]\w*\s*(?:[=;,[]|$)/.test(head)) return false;
  return declaredInCode(head).length > 0;
}


/** braces only: the block structure itself */
function structural(code: string): boolean {
  return /^[\s{}();,]*$/.test(code) && /[{}]/.test(code);
}

export async function placeByAlignedContext(rule: AlignedContextRule, ctx: HunkContext): Promise<PlaceOutcome> {
  const pc = rule.precondition;
  const renames = pc.renameMinEvidence && ctx.upstreamTree
    ? await provenRenamesFor(ctx, ctx.hunk.lines.filter((l) => l.op !== '+').map((l) => l.text), pc.renameMinEvidence)
    : new Map<string, RenameEvidence>();
  const rename = (text: string) => [...renames.keys()].reduce((t, from) => replaceToken(t, from, renames.get(from)!.to), text);
  // the hunk as the target spells it: every guard below judges this one
  const hl = renames.size ? ctx.hunk.lines.map((l) => ({ ...l, text: rename(l.text) })) : ctx.hunk.lines;
  const { pre, groups } = preLines(hl, ctx.hunk.lines);
  if (!groups.length || !pre.length) return null;
  const lines = ctx.text.lines;
  const norm = normalizedLines(lines);
  const where = { file: ctx.path, hunk: ctx.hunkNo };

  // search windows: around every place a substantial pre-image line is found
  const at = new Map<string, number[]>();
  for (let t = 0; t < norm.length; t++) {
    const list = at.get(norm[t]);
    if (list) list.push(t);
    else at.set(norm[t], [t]);
  }
  const offsets = new Set<number>();
  for (const [j, p] of pre.entries()) {
    if (!substantial(p.text)) continue;
    const hits = at.get(p.norm) ?? [];
    if (hits.length > MAX_SEED_HITS) continue;
    for (const t of hits) offsets.add(t - j);
  }
  // code of the whole file and of the pre-image, once per hunk: a line's code depends only on the lines above it
  let tCodesAll: string[] | null = null;
  const pCodes = codeLines(pre.map((p) => p.text));
  const seen = new Set<string>();
  const valid: { al: Alignment; dropped: number[]; extra: number[] }[] = [];
  for (const d of offsets) {
    const a = Math.max(0, d - pc.slack);
    const b = Math.min(lines.length, d + pre.length + pc.slack);
    const al = align(pre, lines, norm, a, b);
    if (!al) continue;
    const key = al.map.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    const v = judge(al);
    if (v) valid.push({ al, ...v });
  }
  if (!valid.length) return null;
  valid.sort((x, y) => y.al.score - x.al.score);
  const best = valid[0];
  // another place that aligns nearly as well: the @@ section may tell them apart, otherwise it is a guess
  const rivals = valid.filter((v) => v !== best && v.al.score >= best.al.score - pc.ambiguityMargin && (v.al.end < best.al.start || v.al.start > best.al.end));
  if (rivals.length) {
    const fitting = [best, ...rivals].filter((v) => sectionFits(ctx.hunk.section, lines, v.al.start) === true);
    if (fitting.length !== 1 || fitting[0] !== best) {
      return { refusal: { check: 'ambiguous-anchor', reason: `the hunk's context, allowing for drifted lines, aligns with ${rivals.length + 1} places`, ...where } };
    }
  }
  return { placement: place(best.al, best.dropped, best.extra) };

  /** The guards of the header comment; null = this alignment may not be used. */
  function judge(al: Alignment): { dropped: number[]; extra: number[] } | null {
    const { map, sub } = al;
    if (pre.some((p, j) => p.op === '-' && (map[j] < 0 || sub[j]))) return null;
    const matchedIdx = map.map((t, j) => (t >= 0 ? j : -1)).filter((j) => j >= 0);
    const dropped = pre.map((_, j) => j).filter((j) => map[j] < 0 || sub[j]);
    // nothing drifted: relocation's job, or renamed-context's when only renames differ (it checks where upstream's
    // own copy of the context is aligned; this rule does not stand in for it)
    if (!dropped.length && matchedIdx.every((j, k) => k === 0 || map[j] === map[matchedIdx[k - 1]] + 1)) return null;
    const substantialMatched = matchedIdx.filter((j) => pre[j].weight === 1 && !sub[j]).length;
    if (substantialMatched < pc.minSubstantialMatched || matchedIdx.length < pc.minMatchedShare * pre.length) return null;
    // extra target lines inside the span: few per gap
    const extra: number[] = [];
    for (let k = 1; k < matchedIdx.length; k++) {
      const gap = map[matchedIdx[k]] - map[matchedIdx[k - 1]] - 1;
      if (gap > pc.maxExtraTargetLines) return null;
      for (let t = map[matchedIdx[k - 1]] + 1; t < map[matchedIdx[k]]; t++) extra.push(t);
    }
    // a section that names a function must be the target's; a file-scope heading (a variable, a table) is itself
    // context that may have drifted
    if (pc.sameSection && functionNameOf(ctx.hunk.section) && sectionFits(ctx.hunk.section, lines, al.start) === false) return null;
    const tCodes = (tCodesAll ??= codeLines(lines));
    const matchedAt = new Set(map.filter((t, j) => t >= 0 && !sub[j]));
    // a label that drifted moves where control flow enters: never context to give up
    if (dropped.some((j) => isLabel(pCodes[j])) || extra.some((t) => isLabel(tCodes[t]))) return null;
    for (const g of groups) {
      // removed lines of a group are one run on the target
      for (let j = g.from + 1; j < g.to; j++) if (map[j] !== map[j - 1] + 1) return null;
      if (!g.added) {
        // a removal is pinned by its own lines, but not across a block boundary that differs next to it
        if (enclosingFunctionStart(lines, map[g.from]) < 0) continue;
        const near = [g.from - 1, g.to].filter((j) => j >= 0 && j < pre.length && (map[j] < 0 || sub[j]));
        if (near.some((j) => structural(pCodes[j]))) return null;
        const tAround = [map[g.from] - 1, map[g.to - 1] + 1].filter((t) => t >= 0 && t < lines.length && !matchedAt.has(t));
        if (tAround.some((t) => structural(tCodes[t]))) return null;
        continue;
      }
      const before = g.from - 1;
      const after = g.to;
      const beforeOk = before >= 0 && map[before] >= 0;
      const afterOk = after < pre.length && map[after] >= 0;
      const hasRemoved = g.to > g.from;
      if (!hasRemoved && !beforeOk && !afterOk) return null;
      // a matched neighbour sits right next to the change on the target
      const first = hasRemoved ? map[g.from] : afterOk ? map[after] : map[before] + 1;
      const last = hasRemoved ? map[g.to - 1] : first - 1;
      if (beforeOk && map[before] !== first - 1) return null;
      if (afterOk && map[after] !== last + 1) return null;
      // the side that pins an insertion has a substantial matched line in its unbroken run
      if (!hasRemoved && !pinned(al, before, -1) && !pinned(al, after, 1)) return null;
      if (!pc.onlyDataDriftNextToChange) continue;
      // between the change and the nearest substantial matched line on each side (blank lines and braces do not
      // shield it), upstream's lines without a counterpart and the target's lines upstream lacks must be data
      const fileScope = enclosingFunctionStart(lines, first) < 0;
      const harmlessTarget = (t: number) => noCode(tCodes[t]) || fileScope || inDeclaration(tCodes, t);
      const harmlessPre = (j: number) => noCode(pCodes[j]) || fileScope || inDeclaration(pCodes, j);
      const firm = (j: number) => map[j] >= 0 && !sub[j] && pre[j].weight === 1;
      let lo = before;
      for (; lo >= 0 && !firm(lo); lo--) if ((map[lo] < 0 || sub[lo]) && !harmlessPre(lo)) return null;
      let hi = after;
      for (; hi < pre.length && !firm(hi); hi++) if ((map[hi] < 0 || sub[hi]) && !harmlessPre(hi)) return null;
      const tFrom = lo >= 0 ? map[lo] + 1 : al.start;
      const tTo = hi < pre.length ? map[hi] : al.end + 1;
      for (let t = tFrom; t < tTo; t++) if (!matchedAt.has(t) && !harmlessTarget(t)) return null;
    }
    // what the change uses must not be what drifted away
    const added = hl.filter((l) => l.op === '+').map((l) => l.text);
    const used = new Set(codeLines(added).flatMap(identifiersOf));
    if (addedNeedDroppedName(added, dropped.map((j) => pCodes[j]), lines, al.start, al.end + 1)) return null;
    // a line that reads differently: upstream's tokens there must not be what the added lines use (upstream
    // passes `attrs` where the target passes `0`: the change needs what only upstream has, even if the target
    // declares a variable of that name nearby)
    for (const j of dropped) {
      if (!sub[j]) continue;
      const y = tokenize(lines[map[j]]);
      if (tokenize(pre[j].text).some((tok, k) => tok !== y[k] && used.has(tok))) return null;
    }
    // a target line upstream lacks that is one of the added lines: the change (or part of it) is there already
    const extraText = new Set(extra.map((t) => norm[t]));
    if (added.some((l) => substantial(l) && extraText.has(normalizeWs(l)))) return null;
    return { dropped, extra };
  }

  /** Does the unbroken matched run from pre line j outward (dir) include a substantial line? */
  function pinned({ map, sub }: Alignment, j: number, dir: 1 | -1): boolean {
    for (let k = j; k >= 0 && k < pre.length && map[k] >= 0; k += dir) {
      const nxt = k + dir;
      if (pre[k].weight === 1 && !sub[k]) return true;
      if (nxt < 0 || nxt >= pre.length || map[nxt] < 0 || map[nxt] !== map[k] + dir) return false;
    }
    return false;
  }

  function place(al: Alignment, dropped: number[], extra: number[]) {
    const { map } = al;
    const out: HunkLine[] = [];
    let cursor = al.start;
    let j = 0;
    const flushTo = (t: number) => {
      while (cursor < t) out.push({ op: ' ', text: lines[cursor++] });
    };
    for (let i = 0; i < hl.length; i++) {
      const l = hl[i];
      if (l.op === '+') {
        // an insertion whose preceding pre line has no counterpart goes right before the next matched line
        const prevMatched = j > 0 && map[j - 1] >= 0;
        if (!prevMatched && j < pre.length && map[j] >= 0) flushTo(map[j]);
        out.push({ ...l });
        continue;
      }
      const t = map[j++];
      if (t < 0) continue;
      flushTo(t);
      out.push({ op: l.op, text: lines[t] });
      cursor = t + 1;
    }
    const shown = dropped.slice(0, 2).map((k) => `\`${pre[k].orig.trim()}\``);
    // the renames this placement relies on: a matched line or an added line reads the target's spelling
    const usedText = [...pre.filter((p, j) => map[j] >= 0 && p.text !== p.orig).map((p) => p.orig), ...ctx.hunk.lines.filter((l) => l.op === '+').map((l) => l.text)];
    const used = [...renames.values()].filter((e) => usedText.some((t) => tokenize(t).includes(e.from)));
    const renameRule = { ...rule, note: rule.renameNote ?? rule.note };
    return {
      path: ctx.path,
      start: al.start,
      lines: out,
      method: 'rules' as const,
      adaptations: [
        adaptation(rule, ctx, {
          dropped: String(dropped.length),
          extra: String(extra.length),
          lines: shown.join(', ') + (dropped.length > 2 ? ', ...' : ''),
        }),
        ...used.map((e) => adaptation(renameRule, ctx, renameParams(e, ctx))),
      ],
      section: ctx.hunk.section,
    };
  }
}
