/**
 * absent-code: the code a hunk changes is not on the target at all (the bug came later, or the function was
 * rewritten). The only right answer is to say so; nothing is invented.
 */
import { removedLines } from '../core/patch.ts';
import type { HunkContext, Refusal } from '../apply/types.ts';
import { normalizeWs } from '../apply/text.ts';
import type { AbsentCodeRule } from './schema.ts';

export function refuseAbsentCode(rule: AbsentCodeRule, ctx: HunkContext): Refusal | null {
  const min = rule.precondition.minLineLength;
  const nontrivial = (l: string) => {
    const n = normalizeWs(l);
    return n.length >= min && /[A-Za-z_]\w/.test(n);
  };
  const removed = removedLines(ctx.hunk).filter(nontrivial);
  const probe = removed.length ? removed : ctx.hunk.lines.filter((l) => l.op === ' ').map((l) => l.text).filter(nontrivial);
  if (!probe.length) return null;
  const target = new Set(ctx.text.lines.map(normalizeWs));
  if (probe.some((l) => target.has(normalizeWs(l)))) return null;
  const what = removed.length ? 'lines this hunk removes' : 'lines this hunk adds code next to';
  return {
    check: 'absent-code',
    reason: `none of the ${what} exist in ${ctx.path} on the target: the code is absent there (rule ${rule.name})`,
    file: ctx.path,
    hunk: ctx.hunkNo,
  };
}
