/**
 * context-substitution: the hunk's anchor (context + removed lines) differs from one unique place of the target
 * only by ONE consistent token substitution (upstream `attrs` where the target has `0`, `flags` where it has
 * `0`...). The same substitution is then made in the added lines. Two different substitutions, or upstream's
 * identifier being a real variable of the target's function, are refusals: the engine never guesses.
 */
import { preImage } from '../core/patch.ts';
import type { HunkContext } from '../apply/types.ts';
import { codeLines, enclosingFunctionStart, isDeclaredIn } from '../apply/c-syntax.ts';
import { chooseUnique, excerpt, linesAt, substantial } from '../apply/locate.ts';
import { isIdentifier, isNumber, normalizeWs, replaceToken, tokenize } from '../apply/text.ts';
import type { PlaceOutcome } from './engine.ts';
import { adaptation } from './note.ts';
import type { ContextSubstitutionRule } from './schema.ts';

interface Window {
  start: number;
  /** distinct "upstream\0target" token pairs */
  pairs: Set<string>;
  unchanged: number;
}

function tokenClassOk(cls: 'identifier' | 'number' | 'any', tok: string): boolean {
  if (cls === 'identifier') return isIdentifier(tok);
  if (cls === 'number') return isNumber(tok);
  return isIdentifier(tok) || isNumber(tok) || tok.startsWith('"');
}

/** Windows of the target that equal the anchor up to token substitutions (at most 2 distinct pairs tracked). */
export function substitutionWindows(lines: string[], pre: string[]): Window[] {
  const n = pre.length;
  const preToks = pre.map(tokenize);
  const preNorm = pre.map(normalizeWs);
  const tokCache = new Map<number, string[]>();
  const tok = (i: number) => {
    let t = tokCache.get(i);
    if (!t) tokCache.set(i, (t = tokenize(lines[i])));
    return t;
  };
  const out: Window[] = [];
  for (let i = 0; i + n <= lines.length; i++) {
    const pairs = new Set<string>();
    let unchanged = 0;
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      const line = lines[i + j];
      if (line === pre[j] || normalizeWs(line) === preNorm[j]) {
        if (substantial(pre[j])) unchanged++;
        continue;
      }
      const a = preToks[j];
      const b = tok(i + j);
      if (a.length !== b.length) {
        ok = false;
        break;
      }
      for (let k = 0; k < a.length; k++) {
        if (a[k] === b[k]) continue;
        pairs.add(`${a[k]}\0${b[k]}`);
        if (pairs.size > 2) {
          ok = false;
          break;
        }
      }
    }
    if (ok && pairs.size > 0) out.push({ start: i, pairs, unchanged });
  }
  return out;
}

export async function placeByContextSubstitution(rule: ContextSubstitutionRule, ctx: HunkContext): Promise<PlaceOutcome> {
  const pre = preImage(ctx.hunk);
  if (pre.length === 0) return null;
  const lines = ctx.text.lines;
  const windows = substitutionWindows(lines, pre).filter((w) => w.unchanged >= rule.precondition.minUnchangedLines);
  const single = windows.filter((w) => {
    if (w.pairs.size !== 1) return false;
    const [from, to] = [...w.pairs][0].split('\0');
    return tokenClassOk(rule.precondition.from, from) && tokenClassOk(rule.precondition.to, to);
  });
  const where = { file: ctx.path, hunk: ctx.hunkNo };
  if (!single.length) {
    const multi = windows.find((w) => w.pairs.size > 1);
    if (!multi) return null;
    const subs = [...multi.pairs].map((p) => p.replace('\0', ' -> ')).join(', ');
    return {
      refusal: {
        check: 'conflicting-substitutions',
        reason: `the anchor differs from the target by more than one substitution (${subs}): not guessing`,
        ...where,
        targetExcerpt: excerpt(lines, multi.start, pre.length),
      },
    };
  }
  const choice = chooseUnique(
    single.map((w) => w.start),
    ctx.hunk,
    lines,
  );
  if (!choice) return null;
  if ('ambiguous' in choice) {
    return { refusal: { check: 'ambiguous-anchor', reason: `the substituted anchor matches ${choice.ambiguous.length} places`, ...where } };
  }
  const w = single.find((x) => x.start === choice.start)!;
  const [from, to] = [...w.pairs][0].split('\0');
  const windowCode = codeLines(lines.slice(w.start, w.start + pre.length));
  if (windowCode.some((c) => tokenize(c).includes(from))) {
    return { refusal: { check: 'conflicting-substitutions', reason: `the target uses both \`${from}\` and \`${to}\` here: not a consistent substitution`, ...where } };
  }
  if (rule.precondition.notDeclaredInTargetFunction && isIdentifier(from)) {
    const fnStart = enclosingFunctionStart(lines, w.start);
    const scope = fnStart >= 0 ? codeLines(lines.slice(fnStart, w.start + pre.length)) : [];
    if (isDeclaredIn(scope, from)) {
      return {
        refusal: {
          check: 'substitution-declared',
          reason: `\`${from}\` is declared in the target's function: replacing it by \`${to}\` would be a guess`,
          ...where,
          targetExcerpt: excerpt(lines, w.start, pre.length),
        },
      };
    }
  }
  // a substitution inside a removed line must survive into the added lines; otherwise the target's line differs
  // in exactly what upstream changes, and removing it would be a different change than upstream's
  const removedHit = ctx.hunk.lines.some((l) => l.op === '-' && tokenize(l.text).includes(from));
  const addedHas = ctx.hunk.lines.some((l) => l.op === '+' && tokenize(l.text).includes(from));
  if (removedHit && !addedHas) {
    return { refusal: { check: 'context-mismatch', reason: `a removed line reads \`${to}\` on the target where upstream has \`${from}\`, and upstream's change drops it`, ...where } };
  }
  const placed = linesAt(ctx.hunk, lines, w.start, (l) => replaceToken(l.text, from, to));
  return {
    placement: {
      path: ctx.path,
      start: w.start,
      lines: placed,
      method: 'rules',
      adaptations: [adaptation(rule, ctx, { from, to, identifier: from })],
      section: ctx.hunk.section,
    },
  };
}
