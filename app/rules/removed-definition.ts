/**
 * Hunks that only remove lines, where the lines to remove drifted on the target. Two rules:
 *
 * removed-definition: upstream's hunk only deletes one whole file-scope definition (a function or a struct, with
 * its kerneldoc comment, EXPORT_SYMBOL line and trailing blank lines), and the target's definition of the same name
 * reads differently inside (the body drifted between the branches). The hunk's context must match exactly around
 * the target's definition, and most of the lines of upstream's body must be found in the target's: then its own
 * definition is removed, as a maintainer deleting "the same function" would. Whether anything still uses it is
 * for the safety checks to say, on the file after all hunks (checks.ts removedDefinitionInUse).
 *
 * drifted-removal: upstream's hunk removes a run of lines; on the target, between exactly upstream's context on
 * both sides, sits a run in which every line is one of upstream's removed lines or a close variant of one (same
 * tokens mostly, `info->ack_frame_id = info_id;` for `info->status_data = info_id;`), nothing more, and most of
 * upstream's removed lines are there as they are: that run is removed. A line of the target's that matches none
 * of upstream's is its own code, and the hunk is left to a human.
 */
import type { HunkLine } from '../core/patch.ts';
import type { HunkContext } from '../apply/types.ts';
import { codeLines } from '../apply/c-syntax.ts';
import { normalizeWs, tokenize } from '../apply/text.ts';
import type { PlaceOutcome } from './engine.ts';
import { adaptation } from './note.ts';
import type { DriftedRemovalRule, RemovedDefinitionRule } from './schema.ts';

interface Definition {
  name: string;
  kind: 'function' | 'struct';
  /** heading and closing brace line within the removed lines (which start at the comment or heading) */
  heading: number;
  close: number;
  hasComment: boolean;
  hasExport: boolean;
  blanks: number;
}

/** The name and kind a file-scope heading line defines, or null. */
function headingOf(line: string): { name: string; kind: Definition['kind'] } | null {
  if (!/^[A-Za-z_]/.test(line) || /;\s*$/.test(line) || /^(?:EXPORT_SYMBOL|MODULE_|#)/.test(line)) return null;
  const s = /^(?:static\s+)?(?:const\s+)?struct\s+([A-Za-z_]\w*)\s*\{\s*$/.exec(line);
  if (s) return { name: s[1], kind: 'struct' };
  // attribute macros before the declaration (`__printf(2, 3) int foo(`) are not its name
  const bare = line.replace(/^(?:__\w+\s*\([^()]*\)\s*)+/, '');
  const f = /([A-Za-z_]\w*)\s*\(/.exec(bare);
  if (!f || /=/.test(bare.slice(0, f.index))) return null;
  return { name: f[1], kind: 'function' };
}

/** A struct's closing line: `};`, or with an attribute (`} __packed;`). */
const STRUCT_CLOSE = /^\}\s*(?:__packed|__randomize_layout|__aligned\([^)]*\)|__attribute__\s*\(\(.*\)\))?\s*;$/;

/** The definition starting at `heading` in `lines`: its closing `}`/`};` at column 0, before any other heading. */
function closeOf(lines: string[], heading: number, kind: Definition['kind']): number {
  for (let i = heading + 1; i < lines.length; i++) {
    if (kind === 'function' ? lines[i] === '}' : STRUCT_CLOSE.test(lines[i])) return i;
    if (headingOf(lines[i])) return -1;
  }
  return -1;
}

/** Where the declaration starts: the line above when it holds only the return type (`static int` / `foo(...)`). */
function declStart(lines: string[], heading: number): number {
  const above = lines[heading - 1] ?? '';
  return heading > 0 && /^[A-Za-z_][\w\s*]*$/.test(above) && !/^(?:return|else|goto)\b/.test(above) ? heading - 1 : heading;
}

/** The kerneldoc/block comment ending right above `heading`, or `heading` itself. */
function commentStart(lines: string[], heading: number): number {
  if (heading === 0 || !/^\s*\*\/\s*$/.test(lines[heading - 1])) return heading;
  for (let i = heading - 1; i >= 0; i--) if (/^\/\*/.test(lines[i])) return i;
  return heading;
}

/** `removed` is exactly one definition (optionally with comment, export line and blank lines after it). */
function definitionRemoved(removed: string[]): Definition | null {
  const heading = removed.findIndex((l) => headingOf(l));
  const h = heading >= 0 ? headingOf(removed[heading]) : null;
  // nothing before the heading but its return type and comment
  if (!h || commentStart(removed, declStart(removed, heading)) !== 0) return null;
  const close = closeOf(removed, heading, h.kind);
  if (close < 0) return null;
  let i = close + 1;
  const hasExport = i < removed.length && new RegExp(`^EXPORT_SYMBOL(?:_GPL)?\\(${h.name}\\);$`).test(removed[i]);
  if (hasExport) i++;
  let blanks = 0;
  while (i < removed.length && !removed[i].trim()) (i++, blanks++);
  if (i !== removed.length) return null;
  return { ...h, heading, close, hasComment: declStart(removed, heading) > 0, hasExport, blanks };
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((l, k) => normalizeWs(l) === normalizeWs(b[k]));
}

/**
 * The removed run and its context, as diffed and slid up or down by up to 3 lines: a diff may show a removed block
 * shifted where the lines at its edges repeat (`/**` opening both this comment and the next), and only one of the
 * equivalent readings starts at the definition's first line.
 */
function slides(texts: string[], first: number, last: number): { lead: string[]; removed: string[]; trail: string[] }[] {
  const out = [];
  for (const k of [0, -1, 1, -2, 2, -3, 3]) {
    const f = first + k;
    const l = last + k;
    if (f < 0 || l >= texts.length) continue;
    // sliding is only a different reading of the same diff when the lines moved across are equal
    const ok = k < 0 ? texts.slice(f, first).every((t, i) => t === texts[l + 1 + i]) : texts.slice(last + 1, l + 1).every((t, i) => t === texts[first + i]);
    if (ok) out.push({ lead: texts.slice(0, f), removed: texts.slice(f, l + 1), trail: texts.slice(l + 1) });
  }
  return out;
}

/** The one run of removed lines of a hunk that only removes lines (C sources), or null. */
function removalRun(ctx: HunkContext): { first: number; last: number } | null {
  const hl = ctx.hunk.lines;
  if (!/\.[ch]$/.test(ctx.path) || hl.some((l) => l.op === '+')) return null;
  const first = hl.findIndex((l) => l.op === '-');
  const last = hl.map((l) => l.op).lastIndexOf('-');
  if (first < 0 || hl.slice(first, last + 1).some((l) => l.op !== '-')) return null;
  return { first, last };
}

export async function placeByRemovedDefinition(rule: RemovedDefinitionRule, ctx: HunkContext): Promise<PlaceOutcome> {
  const hl = ctx.hunk.lines;
  const run = removalRun(ctx);
  if (!run) return null;
  const { first, last } = run;
  const slid = slides(hl.map((l) => l.text), first, last).find((v) => definitionRemoved(v.removed));
  if (!slid) return null;
  const { lead, removed, trail } = slid;
  const up = definitionRemoved(removed)!;
  if (lead.length < rule.precondition.minContextPerSide || trail.length < rule.precondition.minContextPerSide) return null;

  const t = ctx.text.lines;
  const headings = t.flatMap((l, i) => {
    const h = headingOf(l);
    return h && h.name === up.name && h.kind === up.kind ? [i] : [];
  });
  if (headings.length !== 1) return null;
  const heading = headings[0];
  const close = closeOf(t, heading, up.kind);
  if (close < 0) return null;
  const start = up.hasComment ? commentStart(t, declStart(t, heading)) : declStart(t, heading);
  let end = close + 1;
  if (up.hasExport) {
    if (!new RegExp(`^EXPORT_SYMBOL(?:_GPL)?\\(${up.name}\\);$`).test(t[end] ?? '')) return null;
    end++;
  }
  for (let b = 0; b < up.blanks; b++, end++) if ((t[end] ?? 'x').trim()) return null;
  // pinned by upstream's own context on both sides, and recognisably the same definition
  if (!same(lead, t.slice(start - lead.length, start)) || !same(trail, t.slice(end, end + trail.length))) return null;
  // the bodies, not the comment and heading, show it is the same definition
  const mine = new Set(t.slice(heading + 1, close).map(normalizeWs));
  const body = removed.slice(up.heading + 1, up.close).map(normalizeWs).filter((l) => l && l !== '{');
  const shared = body.filter((l) => mine.has(l)).length / Math.max(1, body.length);
  if (shared < rule.precondition.minSharedShare) return null;

  const lines: HunkLine[] = [
    ...t.slice(start - lead.length, start).map((text) => ({ op: ' ' as const, text })),
    ...t.slice(start, end).map((text) => ({ op: '-' as const, text })),
    ...t.slice(end, end + trail.length).map((text) => ({ op: ' ' as const, text })),
  ];
  const params = { name: up.name, kind: up.kind, static: String(/^static\b/.test(t[declStart(t, heading)])), targetLines: String(end - start), upstreamLines: String(removed.length), targetRemoval: 'definition' };
  return { placement: { path: ctx.path, start: start - lead.length, lines, method: 'rules', adaptations: [adaptation(rule, ctx, params)], section: ctx.hunk.section } };
}

/** How alike two lines are: twice their common tokens (in order) over all their tokens, 0..1. */
export function lineSimilarity(a: string, b: string): number {
  const x = tokenize(a).filter((t) => t.trim());
  const y = tokenize(b).filter((t) => t.trim());
  if (!x.length && !y.length) return 1;
  const dp = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) dp[i][j] = x[i - 1] === y[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  return (2 * dp[x.length][y.length]) / (x.length + y.length);
}

/** Longest common subsequence of two line lists (already normalized): the matched index pairs, in order. */
function matchedPairs(a: string[], b: string[]): [number, number][] {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) out.push([i++, j++]);
    else if (dp[i + 1][j] >= dp[i][j + 1]) i++;
    else j++;
  }
  return out;
}

export async function placeByDriftedRemoval(rule: DriftedRemovalRule, ctx: HunkContext): Promise<PlaceOutcome> {
  const run = removalRun(ctx);
  if (!run) return null;
  const hl = ctx.hunk.lines;
  const lead = hl.slice(0, run.first).map((l) => l.text);
  const trail = hl.slice(run.last + 1).map((l) => l.text);
  const removed = hl.slice(run.first, run.last + 1).map((l) => l.text);
  // a whole definition is removed-definition's to judge (one definition of the name, bodies alike)
  if (slides(hl.map((l) => l.text), run.first, run.last).some((v) => definitionRemoved(v.removed))) return null;
  const { minContextPerSide, minSharedShare, minLineSimilarity } = rule.precondition;
  if (lead.length < minContextPerSide || trail.length < minContextPerSide) return null;
  const t = ctx.text.lines;
  const norm = t.map(normalizeWs);
  const leadN = lead.map(normalizeWs);
  const trailN = trail.map(normalizeWs);
  // every place with upstream's whole leading context, then its whole trailing context after a non-empty run no
  // longer than what upstream removes
  const places: { start: number; end: number }[] = [];
  for (let s = lead.length; s <= t.length; s++) {
    if (!leadN.every((l, k) => norm[s - lead.length + k] === l)) continue;
    for (let e = s + 1; e <= Math.min(t.length, s + removed.length); e++) {
      if (trailN.every((l, k) => norm[e + k] === l)) {
        places.push({ start: s, end: e });
        break;
      }
    }
  }
  if (places.length !== 1) return null;
  const { start, end } = places[0];
  const span = t.slice(start, end);
  const remN = removed.map(normalizeWs);
  const spanN = span.map(normalizeWs);
  const pairs = matchedPairs(remN, spanN);
  const exact = pairs.filter(([i]) => remN[i]).length;
  if (exact / Math.max(1, remN.filter(Boolean).length) < minSharedShare) return null;
  // between matched lines, each target line must be a variant of one of upstream's unmatched lines there
  const differing: string[] = [];
  const bounds: [number, number][] = [[-1, -1], ...pairs, [remN.length, spanN.length]];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const ups = remN.slice(bounds[k][0] + 1, bounds[k + 1][0]);
    if (bounds[k + 1][1] - bounds[k][1] - 1 > ups.length) return null;
    for (let j = bounds[k][1] + 1; j < bounds[k + 1][1]; j++) {
      if (!ups.some((u) => lineSimilarity(u, spanN[j]) >= minLineSimilarity)) return null;
      differing.push(span[j].trim());
    }
  }
  if (!differing.length) return null; // nothing drifted: not this rule's business
  const lines: HunkLine[] = [
    ...t.slice(start - lead.length, start).map((text) => ({ op: ' ' as const, text })),
    ...span.map((text) => ({ op: '-' as const, text })),
    ...t.slice(end, end + trail.length).map((text) => ({ op: ' ' as const, text })),
  ];
  const params = { differing: String(differing.length), lines: differing.slice(0, 3).map((l) => `\`${l}\``).join(', '), targetLines: String(span.length), upstreamLines: String(removed.length), targetRemoval: 'lines' };
  return { placement: { path: ctx.path, start: start - lead.length, lines, method: 'rules', adaptations: [adaptation(rule, ctx, params)], section: ctx.hunk.section } };
}
