/**
 * context-drift ("[ Adjust context ]"): the context on ONE side of the change differs on the target (a line added
 * or changed nearby since), while the other side's context and every removed line match, at one unique place.
 * The hunk is applied against the matching side; the differing side is reported in the adaptation, never silently
 * dropped, and must still be recognisably there (most of its lines found just beyond the change).
 */
import type { Hunk, HunkLine } from '../core/patch.ts';
import type { HunkContext } from '../apply/types.ts';
import { chooseUnique, findWindows, normalizedLines, substantial } from '../apply/locate.ts';
import { normalizeWs } from '../apply/text.ts';
import type { PlaceOutcome } from './engine.ts';
import { adaptation } from './note.ts';
import type { ContextDriftRule } from './schema.ts';

interface Split {
  lead: HunkLine[];
  core: HunkLine[];
  trail: HunkLine[];
}

function split(h: Hunk): Split | null {
  const first = h.lines.findIndex((l) => l.op !== ' ');
  if (first < 0) return null;
  let last = h.lines.length - 1;
  while (h.lines[last].op === ' ') last--;
  return { lead: h.lines.slice(0, first), core: h.lines.slice(first, last + 1), trail: h.lines.slice(last + 1) };
}

/** Share of `side`'s substantial lines found (whitespace-insensitively) in target lines [from, to). */
function presence(side: HunkLine[], norm: string[], from: number, to: number): number {
  const want = side.filter((l) => substantial(l.text)).map((l) => normalizeWs(l.text));
  if (!want.length) return 1;
  const have = new Set(norm.slice(Math.max(0, from), Math.max(0, to)));
  return want.filter((w) => have.has(w)).length / want.length;
}

export async function placeByContextDrift(rule: ContextDriftRule, ctx: HunkContext): Promise<PlaceOutcome> {
  const s = split(ctx.hunk);
  if (!s) return null;
  const { minAnchorLines, minSubstantialAnchorLines, otherSidePresent, slack } = rule.precondition;
  const lines = ctx.text.lines;
  const norm = normalizedLines(lines);
  const corePre = s.core.filter((l) => l.op !== '+');
  const found: { start: number; kept: HunkLine[]; side: 'before' | 'after'; anchorLen: number }[] = [];
  for (const side of ['before', 'after'] as const) {
    const keep = side === 'before' ? [...s.lead, ...corePre] : [...corePre, ...s.trail];
    const other = side === 'before' ? s.trail : s.lead;
    if (!other.length || keep.length < minAnchorLines) continue;
    if (keep.filter((l) => substantial(l.text)).length < minSubstantialAnchorLines) continue;
    const anchor = keep.map((l) => normalizeWs(l.text));
    const choice = chooseUnique(findWindows(norm, anchor, (a, b) => a === b), ctx.hunk, lines);
    if (!choice) continue;
    if ('ambiguous' in choice) return { refusal: { check: 'ambiguous-anchor', reason: `one side of the hunk's context matches ${choice.ambiguous.length} places`, file: ctx.path, hunk: ctx.hunkNo } };
    const end = choice.start + anchor.length;
    const p = side === 'before' ? presence(other, norm, end, end + other.length + slack) : presence(other, norm, choice.start - other.length - slack, choice.start);
    if (p < otherSidePresent) continue;
    const kept = side === 'before' ? [...s.lead, ...s.core] : [...s.core, ...s.trail];
    found.push({ start: choice.start, kept, side, anchorLen: anchor.length });
  }
  if (found.length !== 1) return null;
  const f = found[0];
  let t = f.start;
  const placed: HunkLine[] = f.kept.map((l) => (l.op === '+' ? { ...l } : { op: l.op, text: lines[t++] }));
  const dropped = f.side === 'before' ? 'after' : 'before';
  return {
    placement: {
      path: ctx.path,
      start: f.start,
      lines: placed,
      method: 'rules',
      adaptations: [adaptation(rule, ctx, { side: dropped })],
      section: ctx.hunk.section,
    },
  };
}
