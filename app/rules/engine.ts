/**
 * The one rule engine. Each rule type has a handler that acts in one phase of porting a hunk:
 *   place    - the hunk found no exact/relocated place: find one by an adaptation (removed-definition, drifted-removal,
 *              context-substitution, reduced-context, aligned-context, context-drift)
 *   rewrite  - the hunk is placed: adapt its added lines to the target (symbol-history, api-rewrite, reindent)
 *   retarget - the file is missing on the target: find where it lives now (file-moved)
 *   refuse   - nothing placed the hunk: say precisely why (absent-code)
 * Rules run in file order (rules/*.yml sorted by name; placement types by specificity); data decides what a handler does.
 */
import type { Adaptation } from '../core/backport.ts';
import type { FilePatch } from '../core/patch.ts';
import type { TreeView } from '../core/tree.ts';
import type { HunkContext, Placement, Refusal } from '../apply/types.ts';
import type { FileText } from '../apply/text.ts';
import type { Rule, RuleType } from './schema.ts';
import { placeByContextSubstitution } from './context-substitution.ts';
import { placeByContextDrift } from './context-drift.ts';
import { placeByAlignedContext } from './aligned-context.ts';
import { placeByReducedContext } from './reduced-context.ts';
import { rewriteBySymbolHistory } from './symbol-history.ts';
import { rewriteByReindent } from './reindent.ts';
import { retargetMovedFile } from './file-moved.ts';
import { refuseAbsentCode } from './absent-code.ts';
import { placeByRenamedContext, rewriteByAlignedRename } from './aligned-rename.ts';
import { rewriteByApiRewrite } from './api-rewrite.ts';
import { placeByDriftedRemoval, placeByRemovedDefinition } from './removed-definition.ts';

export type PlaceOutcome = { placement: Placement } | { refusal: Refusal } | null;

export interface RetargetContext {
  tree: TreeView;
  file: FilePatch;
  upstreamPath: string;
}

export type RetargetOutcome = { path: string; text: FileText; adaptation: Adaptation } | { refusal: Refusal } | null;

/** Every rule type and the phase it acts in: adding a rule of an existing type needs no change here. */
const HANDLERS: { [T in RuleType]: { phase: 'place' | 'rewrite' | 'retarget' | 'refuse' } } = {
  'context-substitution': { phase: 'place' },
  'context-drift': { phase: 'place' },
  'aligned-context': { phase: 'place' },
  'reduced-context': { phase: 'place' },
  'symbol-history': { phase: 'rewrite' },
  reindent: { phase: 'rewrite' },
  'file-moved': { phase: 'retarget' },
  'absent-code': { phase: 'refuse' },
  'aligned-rename': { phase: 'rewrite' },
  'renamed-context': { phase: 'place' },
  'api-rewrite': { phase: 'rewrite' },
  'removed-definition': { phase: 'place' },
  'drifted-removal': { phase: 'place' },
};

export function phaseOf(rule: Rule): string {
  return HANDLERS[rule.type].phase;
}

/**
 * Among placement rules, the more specific type is tried first: a substitution explains a difference, dropping at
 * most two outer context lines keeps most of the anchor, dropping a whole side keeps the least.
 */
const PLACE_ORDER: RuleType[] = ['removed-definition', 'drifted-removal', 'renamed-context', 'context-substitution', 'reduced-context', 'aligned-context', 'context-drift'];

/**
 * Rule types that prove, line by line, that the differing context plays no part in the change (and check the
 * uniqueness of their place themselves): they may still place a hunk a more specific rule refused as a guess.
 */
const MAY_OVERRULE: RuleType[] = ['aligned-context'];
/** ...but only refusals they re-judge themselves: several substitutions, several places */
const OVERRULABLE = new Set(['conflicting-substitutions', 'ambiguous-anchor']);

/**
 * Try placement rules in order, most specific first; the first placement decides, and so does the first refusal,
 * except that a MAY_OVERRULE rule may still place a hunk refused only as OVERRULABLE (several substitutions or places).
 */
export async function placeByRules(rules: Rule[], ctx: HunkContext): Promise<PlaceOutcome> {
  const ordered = rules.filter((r) => PLACE_ORDER.includes(r.type)).sort((a, b) => PLACE_ORDER.indexOf(a.type) - PLACE_ORDER.indexOf(b.type));
  let refused: PlaceOutcome = null;
  for (const rule of ordered) {
    if (refused && !MAY_OVERRULE.includes(rule.type)) continue;
    let r: PlaceOutcome = null;
    if (rule.type === 'context-substitution') r = await placeByContextSubstitution(rule, ctx);
    if (rule.type === 'context-drift') r = await placeByContextDrift(rule, ctx);
    if (rule.type === 'aligned-context') r = await placeByAlignedContext(rule, ctx);
    if (rule.type === 'reduced-context') r = await placeByReducedContext(rule, ctx);
    if (rule.type === 'renamed-context') r = await placeByRenamedContext(rule, ctx);
    if (rule.type === 'removed-definition') r = await placeByRemovedDefinition(rule, ctx);
    if (rule.type === 'drifted-removal') r = await placeByDriftedRemoval(rule, ctx);
    if (r && 'placement' in r) return r;
    // a more specific rule that saw the difference and judged it a guess is not overruled by a looser one
    // (except by a MAY_OVERRULE type); the first refusal is the one reported
    if (r && 'refusal' in r) {
      if (!OVERRULABLE.has(r.refusal.check)) return refused ?? r;
      refused ??= r;
    }
  }
  return refused;
}

/** Apply every rewrite rule whose precondition holds, in order; each may adapt the added lines. */
export async function rewriteByRules(rules: Rule[], p: Placement, ctx: HunkContext): Promise<Placement> {
  let cur = p;
  for (const rule of rules) {
    if (rule.type === 'symbol-history') cur = (await rewriteBySymbolHistory(rule, cur, ctx)) ?? cur;
    if (rule.type === 'reindent') cur = rewriteByReindent(rule, cur, ctx) ?? cur;
    if (rule.type === 'aligned-rename') cur = (await rewriteByAlignedRename(rule, cur, ctx)) ?? cur;
    if (rule.type === 'api-rewrite') cur = (await rewriteByApiRewrite(rule, cur, ctx)) ?? cur;
  }
  return cur;
}

export async function retargetByRules(rules: Rule[], ctx: RetargetContext): Promise<RetargetOutcome> {
  let firstRefusal: Refusal | null = null;
  for (const rule of rules) {
    let r: RetargetOutcome = null;
    if (rule.type === 'file-moved') r = await retargetMovedFile(rule, ctx);
    if (r && 'path' in r) return r;
    if (r && 'refusal' in r) firstRefusal ??= r.refusal;
  }
  return firstRefusal ? { refusal: firstRefusal } : null;
}

export async function refusalByRules(rules: Rule[], ctx: HunkContext): Promise<Refusal | null> {
  for (const rule of rules) {
    if (rule.type === 'absent-code') {
      const r = refuseAbsentCode(rule, ctx);
      if (r) return r;
    }
  }
  return null;
}
