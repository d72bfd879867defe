/**
 * reindent: the hunk was placed whitespace-insensitively (relocation, reduced context...) and the target's copy of
 * every context and removed line is indented by the same number of tabs more or fewer than upstream's: the code
 * sits one block deeper or shallower on this branch (an `if` added or removed around it since). The added lines
 * are shifted by the same number of tabs, so they line up with the code they join. A mixed picture (some lines
 * shifted, some not, or by different amounts) is left alone: that is not a re-indented block.
 */
import type { HunkLine } from '../core/patch.ts';
import type { HunkContext, Placement } from '../apply/types.ts';
import { shiftIndent } from '../apply/text.ts';
import { adaptation } from './note.ts';
import type { ReindentRule } from './schema.ts';

/** leading tabs, and the rest of the indentation (alignment spaces) */
function indentOf(line: string): { tabs: number; rest: string } {
  const m = /^(\t*)([ \t]*)/.exec(line)!;
  return { tabs: m[1].length, rest: m[2] };
}

/** Where the placement's lines sit in upstream's hunk: the placement is a contiguous slice of it. */
function sliceOffset(hunk: HunkLine[], placed: HunkLine[]): number {
  if (hunk.length === placed.length) return placed.every((l, i) => hunk[i].op === l.op) ? 0 : -1;
  for (let k = 0; k + placed.length <= hunk.length; k++) {
    if (placed.every((l, i) => hunk[k + i].op === l.op && (l.op !== '+' || hunk[k + i].text === l.text))) return k;
  }
  return -1;
}

/** The one tab shift every non-blank context/removed line shows, or null (none, or not one consistent shift). */
export function consistentShift(pairs: [string, string][]): number | null {
  let shift: number | null = null;
  for (const [up, tgt] of pairs) {
    if (!up.trim() || !tgt.trim()) continue;
    const a = indentOf(up);
    const b = indentOf(tgt);
    if (a.rest !== b.rest) return null;
    const d = b.tabs - a.tabs;
    if (shift === null) shift = d;
    else if (shift !== d) return null;
  }
  return shift === 0 ? null : shift;
}

export function rewriteByReindent(rule: ReindentRule, p: Placement, ctx: HunkContext): Placement | null {
  if (p.method === 'exact') return null;
  const k = sliceOffset(ctx.hunk.lines, p.lines);
  if (k < 0) return null;
  const pairs: [string, string][] = [];
  p.lines.forEach((l, i) => {
    if (l.op !== '+') pairs.push([ctx.hunk.lines[k + i].text, l.text]);
  });
  if (pairs.filter(([a]) => a.trim()).length < rule.precondition.minAnchorLines) return null;
  const shift = consistentShift(pairs);
  if (shift === null) return null;
  const added = p.lines.filter((l) => l.op === '+' && l.text.trim());
  // shallower by more tabs than an added line has: not the same block moved, leave it to the checks
  if (added.some((l) => indentOf(l.text).tabs + shift < 0)) return null;
  if (!added.length) return null;
  const lines = p.lines.map((l) => (l.op === '+' ? { ...l, text: shiftIndent(l.text, shift) } : l));
  const params = { indentShift: String(shift), tabs: String(Math.abs(shift)), direction: shift > 0 ? 'deeper' : 'shallower' };
  return { ...p, lines, adaptations: [...p.adaptations, adaptation(rule, ctx, params)], method: 'rules' };
}
