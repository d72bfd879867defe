/** Adaptation records and their commit-message sentences. */
import type { Adaptation } from '../core/backport.ts';
import type { Rule } from './schema.ts';

/**
 * Fill {placeholders} from params. Placeholders without a value render as '' unless keepUnknown (so a caller who
 * knows more, e.g. {introducedBy} from git history, can re-render params.noteTemplate itself).
 */
export function renderNote(template: string, params: Record<string, string>, keepUnknown = false): string {
  return template.replace(/\{(\w+)\}/g, (all, k: string) => (k in params ? params[k] : keepUnknown ? all : ''));
}

export function adaptation(rule: Rule, ctx: { upstreamPath: string; hunkNo: number }, params: Record<string, string>): Adaptation {
  return { rule: rule.name, file: ctx.upstreamPath, hunk: ctx.hunkNo, note: renderNote(rule.note, params), params: { ...params, noteTemplate: rule.note } };
}
