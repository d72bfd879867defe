/**
 * file-moved: upstream's file does not exist on the target, but a hunk's whole anchor is found, once, in one other
 * file (the file was renamed or split since). Candidate files come from searching the tree for the anchor's most
 * distinctive words; the full anchor must then match in exactly one place of exactly one file.
 */
import { preImage } from '../core/patch.ts';
import { codeLines, identifiersOf } from '../apply/c-syntax.ts';
import { findWindows, normalizedLines } from '../apply/locate.ts';
import { normalizeWs, splitText, type FileText } from '../apply/text.ts';
import type { RetargetContext, RetargetOutcome } from './engine.ts';
import { adaptation } from './note.ts';
import type { FileMovedRule } from './schema.ts';

function extension(p: string): string {
  const m = /\.[^./]+$/.exec(p);
  return m ? m[0] : '';
}

export async function retargetMovedFile(rule: FileMovedRule, ctx: RetargetContext): Promise<RetargetOutcome> {
  const { searchWords, maxFilesPerWord } = rule.precondition;
  for (const [i, hunk] of ctx.file.hunks.entries()) {
    const pre = preImage(hunk);
    if (pre.filter((l) => normalizeWs(l).length >= 10).length < 2) continue; // too little anchor to trust
    // distinctive words: the longest identifiers of the anchor's code
    const words = [...new Set(codeLines(pre).flatMap(identifiersOf))].sort((a, b) => b.length - a.length).slice(0, searchWords);
    const hits = new Map<string, { text: FileText; starts: number[] }>();
    for (const w of words) {
      const files = (await ctx.tree.filesWithWord(w)).filter((f) => f !== ctx.upstreamPath && extension(f) === extension(ctx.upstreamPath));
      if (!files.length || files.length > maxFilesPerWord) continue;
      for (const f of files) {
        if (hits.has(f)) continue;
        const content = await ctx.tree.read(f);
        if (content === null) continue;
        const text = splitText(content);
        let starts = findWindows(text.lines, pre, (a, b) => a === b);
        if (!starts.length) {
          const norm = normalizedLines(text.lines);
          const preN = pre.map(normalizeWs);
          starts = findWindows(norm, preN, (a, b) => a === b);
        }
        hits.set(f, { text, starts });
      }
      if ([...hits.values()].some((h) => h.starts.length)) break;
    }
    const found = [...hits.entries()].filter(([, h]) => h.starts.length > 0);
    if (found.length === 0) continue;
    if (found.length > 1 || found[0][1].starts.length > 1) {
      return {
        refusal: {
          check: 'ambiguous-anchor',
          reason: `${ctx.upstreamPath} does not exist on the target and hunk ${i + 1}'s code is found in several places (${found.map(([f]) => f).join(', ')})`,
          file: ctx.upstreamPath,
          hunk: i + 1,
        },
      };
    }
    const [path, h] = found[0];
    return {
      path,
      text: h.text,
      adaptation: adaptation(rule, { upstreamPath: ctx.upstreamPath, hunkNo: i + 1 }, { fromPath: ctx.upstreamPath, toPath: path }),
    };
  }
  return null;
}
