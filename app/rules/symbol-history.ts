/**
 * symbol-history: upstream's added lines call a kernel symbol by a name the target does not know yet, and the
 * target has the older name of the same symbol (a pure rename, table in rules/symbol-history.yml). The target
 * TREE decides, never a version number: the new name must be absent from it and the old one present.
 */
import type { HunkContext, Placement } from '../apply/types.ts';
import { codeLines, identifiersOf } from '../apply/c-syntax.ts';
import { replaceToken } from '../apply/text.ts';
import { headersHaveWord } from '../apply/tree-dir.ts';
import { adaptation } from './note.ts';
import type { SymbolHistoryRule } from './schema.ts';

export async function rewriteBySymbolHistory(rule: SymbolHistoryRule, p: Placement, ctx: HunkContext): Promise<Placement | null> {
  const added = p.lines.filter((l) => l.op === '+').map((l) => l.text);
  const used = new Set(codeLines(added).flatMap(identifiersOf));
  let lines = p.lines;
  const adaptations = [...p.adaptations];
  for (const sym of rule.symbols) {
    if (!used.has(sym.new)) continue;
    if (await headersHaveWord(ctx.tree, sym.new)) continue;
    if (!(await headersHaveWord(ctx.tree, sym.old))) continue;
    lines = lines.map((l) => (l.op === '+' ? { ...l, text: replaceToken(l.text, sym.new, sym.old) } : l));
    adaptations.push(adaptation(rule, ctx, { from: sym.new, to: sym.old, identifier: sym.new, ...(sym.introducedIn ? { introducedIn: sym.introducedIn } : {}) }));
  }
  if (lines === p.lines) return null;
  return { ...p, lines, adaptations, method: 'rules' };
}
