/**
 * api-rewrite: upstream's added lines call a kernel API introduced after the target branched, and the API is
 * sugar over older ones the target has (`kzalloc_obj(*p)` is `kzalloc(sizeof(*p), GFP_KERNEL)`). Each known API
 * has call templates in rules/api-rewrite.yml; an added #include of a header that moved gets its old path. The
 * target TREE decides, never a version number: the new name must be absent from it (or, for an API that only
 * gained a shorter form, declared with the old argument count) and every name the replacement uses present. A call no template fits is left alone, so the checks refuse it as an unknown name.
 */
import type { HunkLine } from '../core/patch.ts';
import type { HunkContext, Placement } from '../apply/types.ts';
import { codeLines, identifiersOf } from '../apply/c-syntax.ts';
import { headerDeclaration, treeHasHeader } from '../apply/checks.ts';
import { targetKnows } from './aligned-rename.ts';
import { parseTemplate, rewriteCalls, type Rewritten } from './call-template.ts';
import { adaptation } from './note.ts';
import type { ApiRewriteRule } from './schema.ts';

/**
 * Apply `edit` to each run of consecutive added lines, joined by line breaks (a call may span lines), telling it
 * the line before the run as it will read after the patch.
 */
function rewriteRuns(lines: HunkLine[], edit: (text: string, before: string) => Rewritten): { lines: HunkLine[]; changes: Rewritten['changes'] } {
  const out: HunkLine[] = [];
  const changes: Rewritten['changes'] = [];
  for (let i = 0; i < lines.length; ) {
    if (lines[i].op !== '+') {
      out.push(lines[i++]);
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j].op === '+') j++;
    const run = lines.slice(i, j);
    const before = [...out].reverse().find((l) => l.op !== '-')?.text ?? '';
    const r = edit(run.map((l) => l.text).join('\n'), before);
    if (!r.changes.length) out.push(...run);
    else {
      const texts = r.text.split('\n');
      out.push(...texts.map((text, k) => ({ op: '+' as const, text, ...(k === texts.length - 1 && run[run.length - 1].noEol ? { noEol: true } : {}) })));
      changes.push(...r.changes);
    }
    i = j;
  }
  return { lines: out, changes };
}

export async function rewriteByApiRewrite(rule: ApiRewriteRule, p: Placement, ctx: HunkContext): Promise<Placement | null> {
  if (!/\.[ch]$/.test(p.path)) return null;
  const added = p.lines.filter((l) => l.op === '+').map((l) => l.text);
  const used = new Set(codeLines(added).flatMap(identifiersOf));
  let lines = p.lines;
  const adaptations = [...p.adaptations];
  // one adaptation per rewritten call, carrying the exact texts: the interdiff replays them (app/apply/interdiff.ts)
  const record = (from: string, introducedIn: string | undefined, changes: Rewritten['changes'], extra: Record<string, string> = {}) => {
    for (const c of changes) adaptations.push(adaptation(rule, ctx, { from, ...(introducedIn ? { introducedIn } : {}), ...extra, call: c.call, replacement: c.replacement, rewriteFrom: c.exactFrom, rewriteTo: c.exactTo }));
  };
  for (const api of rule.calls) {
    // the patch that adds the API (or a copy of it) is applied as written
    if (!used.has(api.new) || ctx.patchDeclared?.has(api.new)) continue;
    if (api.targetArity === undefined ? await targetKnows(ctx, api.new) : (await headerDeclaration(ctx.tree, p.path, ctx.text.lines, api.new))?.arity !== api.targetArity) continue;
    if (!(await Promise.all(api.requires.map((n) => targetKnows(ctx, n)))).every(Boolean)) continue;
    const forms = api.forms.map((f) => parseTemplate(f.from, f.to));
    const r = rewriteRuns(lines, (text, before) => rewriteCalls(text, forms, before));
    if (!r.changes.length) continue;
    lines = r.lines;
    record(api.new, api.introducedIn, r.changes, api.targetArity === undefined ? {} : { arity: String(api.targetArity) });
  }
  for (const h of rule.headers) {
    const include = new RegExp(`^(\\s*#\\s*include\\s*)<${h.new.replace(/[.+]/g, '\\$&')}>`);
    if (!added.some((t) => include.test(t))) continue;
    if (await treeHasHeader(ctx.tree, '<', h.new, p.path)) continue;
    if (!(await treeHasHeader(ctx.tree, '<', h.old, p.path))) continue;
    const changes: Rewritten['changes'] = [];
    lines = lines.map((l) => {
      if (l.op !== '+' || !include.test(l.text)) return l;
      const text = l.text.replace(include, `$1<${h.old}>`);
      changes.push({ call: l.text.trim(), replacement: text.trim(), exactFrom: l.text, exactTo: text });
      return { ...l, text };
    });
    record(h.new, h.introducedIn, changes);
  }
  if (lines === p.lines) return null;
  return { ...p, lines, adaptations, method: 'rules' };
}
