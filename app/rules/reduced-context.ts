/**
 * reduced-context ("[ Adjust context ]", the careful cousin of `patch --fuzz`): the hunk's outermost context lines
 * (at most `maxDropPerSide` on each side) differ on the target, while everything nearer the change - the inner
 * context and every removed line - matches at exactly one place of the file, inside the function the @@ section
 * names when the target lets us tell. Only outer context is dropped: the changed lines are applied as upstream
 * wrote them, so the interdiff stays empty, and the adaptation says how many lines were not matched.
 */
import type { HunkLine } from '../core/patch.ts';
import type { HunkContext } from '../apply/types.ts';
import { C_KEYWORDS, codeLines, identifiersOf, isLabel, sectionFits } from '../apply/c-syntax.ts';
import { addedNeedDroppedName, findWindows, normalizedLines, substantial } from '../apply/locate.ts';
import { normalizeWs } from '../apply/text.ts';
import { headersHaveWord } from '../apply/tree-dir.ts';
import { linesCached } from '../apply/tree-cache.ts';
import type { PlaceOutcome } from './engine.ts';
import { adaptation } from './note.ts';
import type { ReducedContextRule } from './schema.ts';

/** Ways to drop outer context, fewest dropped lines first (ties: the trailing side first, as `patch` does). */
function drops(lead: number, trail: number, max: number): { before: number; after: number }[] {
  const out: { before: number; after: number }[] = [];
  for (let b = 0; b <= Math.min(max, lead); b++) for (let a = 0; a <= Math.min(max, trail); a++) if (a + b > 0) out.push({ before: b, after: a });
  return out.sort((x, y) => x.before + x.after - (y.before + y.after) || x.before - y.before);
}

export async function placeByReducedContext(rule: ReducedContextRule, ctx: HunkContext): Promise<PlaceOutcome> {
  const hl = ctx.hunk.lines;
  const first = hl.findIndex((l) => l.op !== ' ');
  if (first < 0) return null;
  let last = hl.length - 1;
  while (hl[last].op === ' ') last--;
  const lead = hl.slice(0, first);
  const trail = hl.slice(last + 1);
  const core = hl.slice(first, last + 1);
  const { maxDropPerSide, minKeptPerSide, minSubstantialAnchorLines } = rule.precondition;
  const lines = ctx.text.lines;
  const norm = normalizedLines(lines);
  for (const d of drops(lead.length, trail.length, maxDropPerSide)) {
    const keptLead = lead.slice(d.before);
    const keptTrail = trail.slice(0, trail.length - d.after);
    // a side that had context keeps some: the change stays pinned on both sides
    if ((lead.length && keptLead.length < minKeptPerSide) || (trail.length && keptTrail.length < minKeptPerSide)) continue;
    const kept: HunkLine[] = [...keptLead, ...core, ...keptTrail];
    const anchor = kept.filter((l) => l.op !== '+');
    if (anchor.filter((l) => substantial(l.text)).length < minSubstantialAnchorLines) continue;
    const starts = findWindows(norm, anchor.map((l) => normalizeWs(l.text)), (a, b) => a === b);
    if (!starts.length) continue;
    // unique in the file, or unique among the places in the function (or macro block) upstream's section names;
    // never placed in a function other than that one
    const fitting = starts.length > 1 ? starts.filter((s) => sectionFits(ctx.hunk.section, lines, s) === true) : starts;
    if (fitting.length !== 1) {
      return { refusal: { check: 'ambiguous-anchor', reason: `the hunk's context without its outer lines matches ${starts.length} places`, file: ctx.path, hunk: ctx.hunkNo } };
    }
    const start = fitting[0];
    if (rule.precondition.sameSection && sectionFits(ctx.hunk.section, lines, start) === false) return null;
    // the unmatched lines must not mention what the change uses and the target lacks around the place (upstream's
    // `attrs` in a dropped line where the target passes `0`): that difference is the change's business
    const end = start + anchor.length;
    const droppedText = [...lead.slice(0, d.before), ...trail.slice(trail.length - d.after)].map((l) => l.text);
    // a dropped goto label is where control flow enters: upstream's code around it is not the target's
    if (codeLines(droppedText).some(isLabel)) return null;
    const added = core.filter((l) => l.op === '+').map((l) => l.text);
    if (addedNeedDroppedName(added, droppedText, lines, start - d.before, end + d.after)) return null;
    const missing = await droppedLineMissing(ctx, lead, trail, d, lines, start, end);
    if (missing) return { refusal: { check: 'dropped-context-missing', reason: missing, file: ctx.path, hunk: ctx.hunkNo } };
    let t = start;
    const placed: HunkLine[] = kept.map((l) => (l.op === '+' ? { ...l } : { op: l.op, text: lines[t++] }));
    return {
      placement: {
        path: ctx.path,
        start,
        lines: placed,
        method: 'rules',
        adaptations: [adaptation(rule, ctx, { before: String(d.before), after: String(d.after), dropped: String(d.before + d.after) })],
        section: ctx.hunk.section,
      },
    };
  }
  return null;
}

/** non-blank normalized lines */
function nonBlank(ls: string[]): string[] {
  return ls.map(normalizeWs).filter((x) => x.length > 0);
}

/** how many non-blank lines must show the target resuming with upstream's code past the dropped line */
const RESUME = 2;

/**
 * A dropped line upstream HAS and the target simply LACKS (the target resumes, on that side, with what upstream has
 * beyond the dropped line), naming something that exists nowhere on the target (not in the file, not in any
 * header): upstream's code around the change relies on a feature the target never got - a prerequisite not in view.
 * A dropped line the target spells differently (a renamed call, another argument) is not this: it has a counterpart.
 */
async function droppedLineMissing(
  ctx: HunkContext,
  lead: HunkLine[],
  trail: HunkLine[],
  d: { before: number; after: number },
  lines: string[],
  start: number,
  end: number,
): Promise<string | null> {
  if (!ctx.upstreamTree) return null;
  const up = await linesCached(ctx.upstreamTree, ctx.upstreamPath);
  if (up === null) return null;
  const pre = ctx.hunk.lines.filter((l) => l.op !== '+').map((l) => l.text);
  const at = ctx.hunk.oldStart - 1;
  if (at < 0 || pre.some((l, i) => up[at + i] !== l)) return null;
  const fileWords = new Set(codeLines(lines).flatMap(identifiersOf));
  const absentFromTarget = async (text: string): Promise<string | null> => {
    for (const id of new Set(codeLines([text]).flatMap(identifiersOf))) {
      if (C_KEYWORDS.has(id) || fileWords.has(id)) continue;
      if (await headersHaveWord(ctx.tree, id)) continue;
      return id;
    }
    return null;
  };
  // trailing side: dropped lines, then upstream's lines after the hunk; the target continues after the anchor
  const droppedTrail = trail.slice(trail.length - d.after).map((l) => l.text);
  const upAfter = up.slice(at + pre.length, at + pre.length + 8);
  const tgtAfter = nonBlank(lines.slice(end, end + 8)).slice(0, RESUME);
  for (let i = 0; i < droppedTrail.length; i++) {
    if (!normalizeWs(droppedTrail[i])) continue;
    const rest = nonBlank([...droppedTrail.slice(i + 1), ...upAfter]).slice(0, RESUME);
    if (rest.length === RESUME && rest.every((x, k) => x === tgtAfter[k])) {
      const id = await absentFromTarget(droppedTrail[i]);
      if (id) return `upstream's context line \`${droppedTrail[i].trim()}\` is missing on the target, which lacks \`${id}\` entirely: a prerequisite not in view`;
    }
  }
  const droppedLead = lead.slice(0, d.before).map((l) => l.text);
  const upBefore = up.slice(Math.max(0, at - 8), at);
  const tgtBefore = nonBlank(lines.slice(Math.max(0, start - 8), start)).slice(-RESUME);
  for (let i = 0; i < droppedLead.length; i++) {
    if (!normalizeWs(droppedLead[i])) continue;
    const rest = nonBlank([...upBefore, ...droppedLead.slice(0, i)]).slice(-RESUME);
    if (rest.length === RESUME && rest.every((x, k) => x === tgtBefore[k])) {
      const id = await absentFromTarget(droppedLead[i]);
      if (id) return `upstream's context line \`${droppedLead[i].trim()}\` is missing on the target, which lacks \`${id}\` entirely: a prerequisite not in view`;
    }
  }
  return null;
}
