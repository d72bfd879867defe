/**
 * aligned-rename: a name upstream's added lines use that the target lacks, which upstream's own file (before the
 * change) and the target's file show consistently renamed: every aligned place where upstream writes `from` the
 * target writes `to` (app/rules/align.ts). Two handlers:
 *   rewrite (aligned-rename)   the hunk is placed; its added lines use `from`, which neither the target file nor any
 *                              header of the target has: they get `to`.
 *   place   (renamed-context)  the hunk found no place; upstream's own copy of its context is aligned, line for
 *                              line, with one run of target lines that differ from it only by such renames: the
 *                              hunk goes there, its added lines renamed the same way.
 * Evidence: at least `minEvidence` aligned lines, and no counter-example (see renameOf). Anything less is a refusal
 * or no opinion; the engine never guesses a rename.
 */
import { preImage } from '../core/patch.ts';
import type { HunkContext, Placement } from '../apply/types.ts';
import { codeLines, declaredNames, identifiersOf } from '../apply/c-syntax.ts';
import { chooseNearest, findWindows, linesAt } from '../apply/locate.ts';
import { isIdentifier, normalizeWs, replaceToken, tokenize } from '../apply/text.ts';
import { headersHaveWord } from '../apply/tree-dir.ts';
import { linesCached } from '../apply/tree-cache.ts';
import { alignFiles, renameOf, singleRename, tokenRuns, type Alignment, type RenameEvidence, type RenameVerdict } from './align.ts';
import type { PlaceOutcome } from './engine.ts';
import { adaptation } from './note.ts';
import type { RenamedContextRule, AlignedRenameRule } from './schema.ts';

export async function alignmentFor(ctx: HunkContext): Promise<Alignment | null> {
  if (!ctx.upstreamTree || !/\.[ch]$/.test(ctx.path)) return null;
  const up = await linesCached(ctx.upstreamTree, ctx.upstreamPath);
  if (!up) return null;
  return alignFiles(up, ctx.text.lines);
}

const wordCache = new WeakMap<string[], Set<string>>();
export function targetWords(lines: string[]): Set<string> {
  let w = wordCache.get(lines);
  if (!w) wordCache.set(lines, (w = new Set(codeLines(lines).flatMap((c) => tokenize(c).filter(isIdentifier)))));
  return w;
}

export function params(e: RenameEvidence, ctx: HunkContext): Record<string, string> {
  return { from: e.from, to: e.to, identifier: e.from, evidence: String(e.targetLines.length), lines: e.targetLines.slice(0, 5).join(', '), file: ctx.path };
}

/** Does the target know `id` at all (its file's code, or some header)? */
export async function targetKnows(ctx: HunkContext, id: string): Promise<boolean> {
  return targetWords(ctx.text.lines).has(id) || (await headersHaveWord(ctx.tree, id));
}

/**
 * renameOf, plus what the target tree and upstream's tree say about the two names: the target must not know
 * upstream's name anywhere (a header keeping it means it is something else there), and a name upstream declares
 * in a header must have its target spelling declared in one too. Otherwise the upstream change was more than a
 * rename (a static helper made public for other files: a prerequisite, which stable maintainers take as a whole).
 */
export async function provenRename(al: Alignment, ctx: HunkContext, from: string, minEvidence: number): Promise<RenameVerdict | null> {
  const v = renameOf(al, from, minEvidence);
  if (!v || 'refusal' in v) return v;
  if (await headersHaveWord(ctx.tree, from)) return { refusal: `\`${from}\` still exists in the target's headers` };
  if (ctx.upstreamTree && (await headersHaveWord(ctx.upstreamTree, from)) && !(await headersHaveWord(ctx.tree, v.to))) {
    return { refusal: `upstream's headers declare \`${from}\` but the target's headers have no \`${v.to}\`: more than a rename` };
  }
  return v;
}

export async function rewriteByAlignedRename(rule: AlignedRenameRule, p: Placement, ctx: HunkContext): Promise<Placement | null> {
  const addedCode = codeLines(p.lines.filter((l) => l.op === '+').map((l) => l.text));
  const declared = declaredNames(addedCode);
  const used = [...new Set(addedCode.flatMap(identifiersOf))].filter((id) => !declared.has(id));
  if (!used.length) return null;
  let al: Alignment | null | undefined;
  let lines = p.lines;
  const adaptations = [...p.adaptations];
  for (const id of used) {
    if (await targetKnows(ctx, id)) continue;
    al ??= await alignmentFor(ctx);
    if (!al) return null;
    const v = await provenRename(al, ctx, id, rule.precondition.minEvidence);
    if (!v || 'refusal' in v) continue; // the checks then refuse the unknown name, as without this rule
    lines = lines.map((l) => (l.op === '+' ? { ...l, text: replaceToken(l.text, id, v.to) } : l));
    adaptations.push(adaptation(rule, ctx, params(v.evidence, ctx)));
  }
  if (lines === p.lines) return null;
  return { ...p, lines, adaptations, method: 'rules' };
}

/** Where upstream's file has the hunk's pre-image: at its stated line, else the nearest exact or normalized match. */
function upstreamStart(up: string[], pre: string[], ctx: HunkContext): number | null {
  const exact = chooseNearest(findWindows(up, pre, (a, b) => a === b), ctx.hunk, up);
  if (exact && 'start' in exact) return exact.start;
  const n = pre.map(normalizeWs);
  const norm = chooseNearest(findWindows(up.map(normalizeWs), n, (a, b) => a === b), ctx.hunk, up);
  return norm && 'start' in norm ? norm.start : null;
}

/** Identifier pairs (upstream, target) a line pair differs by, or null when it differs by anything else. */
function renamePairs(upLine: string, tgtLine: string): [string, string][] | null {
  if (normalizeWs(upLine) === normalizeWs(tgtLine)) return [];
  const out: [string, string][] = [];
  for (const run of tokenRuns(tokenize(upLine), tokenize(tgtLine))) {
    if ('kept' in run) continue;
    const pair = singleRename(run);
    if (!pair) return null;
    out.push(pair);
  }
  return out;
}

export async function placeByRenamedContext(rule: RenamedContextRule, ctx: HunkContext): Promise<PlaceOutcome> {
  const pre = preImage(ctx.hunk);
  if (!pre.length) return null;
  // a rename leaves upstream's name absent from the target file: without such a name in the context there is
  // nothing to learn, and the (costly) alignment is skipped
  const words = targetWords(ctx.text.lines);
  if (!codeLines(pre).some((c) => tokenize(c).some((t) => isIdentifier(t) && !words.has(t)))) return null;
  const al = await alignmentFor(ctx);
  if (!al) return null;
  const up = (await linesCached(ctx.upstreamTree!, ctx.upstreamPath))!;
  const u0 = upstreamStart(up, pre, ctx);
  if (u0 === null) return null;
  // the target run the pre-image is aligned with: every line of it, contiguous and in order
  const first = al.upToTarget[u0];
  if (first < 0) return null;
  const tgt = ctx.text.lines;
  if (first + pre.length > tgt.length) return null;
  const preCode = codeLines(pre);
  const tgtCode = codeLines(tgt.slice(first, first + pre.length));
  const renames = new Map<string, string>();
  let unchanged = 0;
  for (let k = 0; k < pre.length; k++) {
    const mapped = al.upToTarget[u0 + k];
    if (mapped !== first + k && !(mapped < 0 && normalizeWs(pre[k]) === normalizeWs(tgt[first + k]))) return null;
    const pairs = renamePairs(preCode[k], tgtCode[k]);
    if (pairs === null) return null;
    if (!pairs.length && normalizeWs(pre[k]).length >= 6) unchanged++;
    for (const [a, b] of pairs) {
      if (renames.has(a) && renames.get(a) !== b) return null;
      renames.set(a, b);
    }
  }
  if (!renames.size || unchanged < rule.precondition.minUnchangedLines) return null;
  // counter-evidence is no opinion rather than a refusal: a looser placement rule (reduced context) may still
  // place the hunk without renaming anything
  const evidence: RenameEvidence[] = [];
  for (const [from, to] of renames) {
    if (words.has(from)) return null;
    const v = await provenRename(al, ctx, from, rule.precondition.minEvidence);
    if (!v || 'refusal' in v || v.to !== to) return null;
    evidence.push(v.evidence);
  }
  const rename = (text: string) => [...renames].reduce((t, [a, b]) => replaceToken(t, a, b), text);
  const placed = linesAt(ctx.hunk, tgt, first, (l) => rename(l.text));
  return {
    placement: {
      path: ctx.path,
      start: first,
      lines: placed,
      method: 'rules',
      adaptations: evidence.map((e) => adaptation(rule, ctx, params(e, ctx))),
      section: ctx.hunk.section,
    },
  };
}

/**
 * Renames the target proves for names of `pre` (context and removed lines) that its file lacks: the evidence
 * renamed-context and aligned-rename use. Empty when no such name, no upstream tree, or no proof; a name with
 * counter-evidence is simply left out (the line then does not match, as without renames).
 */
export async function provenRenamesFor(ctx: HunkContext, pre: string[], minEvidence: number): Promise<Map<string, RenameEvidence>> {
  const out = new Map<string, RenameEvidence>();
  const words = targetWords(ctx.text.lines);
  const missing = new Set(codeLines(pre).flatMap((c) => tokenize(c).filter((t) => isIdentifier(t) && !words.has(t))));
  if (!missing.size) return out;
  const al = await alignmentFor(ctx);
  if (!al) return out;
  for (const from of missing) {
    const v = await provenRename(al, ctx, from, minEvidence);
    if (v && !('refusal' in v)) out.set(from, v.evidence);
  }
  return out;
}
