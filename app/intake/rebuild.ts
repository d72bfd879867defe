/**
 * Rebuilding damaged hunks from real file lines (recovery methods 4 and 5). Pure functions over file contents;
 * recover.ts reads the files from git and decides which branch to try.
 */
import { filePath, type FilePatch, type Hunk, type HunkLine } from '../core/patch.ts';
import { edgeBlanks, lineCounts, placeHunk, type Placement } from './align.ts';
import { blankLayouts, blankLineFaults, type BlankLayout } from './blanks.ts';
import { inferIndentation, type DraftLine } from './indent.ts';

export interface FileLines {
  lines: string[];
  /** the file does not end with a newline */
  noFinalEol: boolean;
}

export function splitFile(content: string): FileLines {
  const lines = content.split('\n');
  const noFinalEol = !content.endsWith('\n');
  if (!noFinalEol) lines.pop();
  return { lines, noFinalEol };
}

export type Rebuilt = { ok: true; patch: FilePatch; inferred: number; placedByStyle?: number } | { ok: false; ambiguous: boolean; reason: string };

function unitOf(file: string[]): string | null {
  return file.some((l) => l.startsWith('\t')) ? '\t' : null;
}

function unique(placements: Placement[], what: string, path: string, where: string): { p?: Placement; fail?: Rebuilt } {
  if (placements.length === 0) return { fail: { ok: false, ambiguous: false, reason: `${what} is not in ${path} at ${where}` } };
  if (placements.length > 1) {
    const at = placements.map((p) => p.start + 1).join(', ');
    return { fail: { ok: false, ambiguous: true, reason: `${what} matches ${placements.length} places in ${path} at ${where} (lines ${at})` } };
  }
  return { p: placements[0] };
}

/**
 * Draft of a hunk placed in `file` by `p`: image lines exact from the file, dropped blank lines re-inserted, the
 * other side's lines filled by `other`.
 */
function draftHunk(
  h: Hunk,
  file: FileLines,
  p: Placement,
  other: (idx: number) => DraftLine,
  layout?: BlankLayout,
): { draft: DraftLine[]; start: number } {
  const edge = edgeBlanks(h, file.lines, p);
  const draft: DraftLine[] = [];
  const exactAt = (op: HunkLine['op'], f: number): DraftLine => ({ op, text: file.lines[f], exact: true });
  // dropped blanks go right before the line they preceded in the file, unless a layout moves them into a run of added lines
  const before = new Map<number, number[]>();
  for (const [idx, files] of p.dropped) {
    const at = layout?.get(idx) ?? idx;
    before.set(at, [...(before.get(at) ?? []), ...files]);
  }
  for (let f = p.start - edge.before; f < p.start; f++) draft.push(exactAt(' ', f));
  h.lines.forEach((l, idx) => {
    for (const f of before.get(idx) ?? []) draft.push(exactAt(' ', f));
    const mapped = p.mapped.get(idx);
    draft.push(mapped !== undefined ? exactAt(l.op, mapped) : other(idx));
  });
  for (let f = p.end; f < p.end + edge.after; f++) draft.push(exactAt(' ', f));
  return { draft, start: p.start - edge.before };
}

function finishHunk(h: Hunk, k: number, path: string, lines: HunkLine[], oldStart: number, delta: number): { hunk?: Hunk; fail?: Rebuilt } {
  const c = lineCounts(lines);
  if (c.old !== h.oldLines || c.new !== h.newLines) {
    return {
      fail: {
        ok: false,
        ambiguous: false,
        reason: `hunk ${k + 1} of ${path} rebuilt to -${c.old} +${c.new} lines where the mail's header says -${h.oldLines} +${h.newLines}`,
      },
    };
  }
  return { hunk: { oldStart, oldLines: c.old, newStart: oldStart + delta, newLines: c.new, section: h.section, lines } };
}

function markNoEol(lines: HunkLine[], file: FileLines, lastIndexUsed: boolean): void {
  if (!file.noFinalEol || !lastIndexUsed) return;
  const last = [...lines].reverse().find((l) => l.op !== '+');
  if (last) last.noEol = true;
}

/** Method 5: the hunks placed by their pre-image in a target branch's file; added lines re-indented. */
export function rebuildFromTarget(mf: FilePatch, file: FileLines, where: string, zeroKnown: boolean): Rebuilt {
  const path = filePath(mf);
  if (mf.oldPath === null || mf.newPath === null || mf.binary) {
    return { ok: false, ambiguous: false, reason: `${path} is created, deleted or binary: nothing to rebuild it from` };
  }
  const unit = unitOf(file.lines);
  const hunks: Hunk[] = [];
  let delta = 0;
  let lastEnd = 0;
  let inferred = 0;
  let placedByStyle = 0;
  for (const [k, h] of mf.hunks.entries()) {
    const { p, fail } = unique(placeHunk(h, file.lines, 'pre'), `the context of hunk ${k + 1}`, path, where);
    if (!p) return fail as Rebuilt;
    if (p.start < lastEnd) return { ok: false, ambiguous: true, reason: `hunk ${k + 1} of ${path} lands before the previous one at ${where}` };
    lastEnd = p.end;
    const layouts = blankLayouts(h, p);
    if (!layouts) return { ok: false, ambiguous: true, reason: `hunk ${k + 1} of ${path}: too many ways to place its dropped blank lines` };
    const drafts: { lines: HunkLine[]; start: number; faults: number; inferred: number }[] = [];
    for (const layout of layouts) {
      const { draft, start } = draftHunk(h, file, p, (idx) => ({ op: '+', text: h.lines[idx].text, exact: false }), layout);
      const indented = inferIndentation(draft, unit, zeroKnown);
      if (!indented.ok) return { ok: false, ambiguous: true, reason: `hunk ${k + 1} of ${path} at ${where}: ${indented.reason}` };
      const lines: HunkLine[] = draft.map((d, i) => ({ op: d.op, text: indented.lines[i] }));
      const post = lines.filter((l) => l.op !== '-').map((l) => l.text);
      const added = draft.filter((d) => !d.exact && d.text.trim() !== '').length;
      drafts.push({ lines, start, faults: blankLineFaults(post), inferred: added });
    }
    const fewest = Math.min(...drafts.map((d) => d.faults));
    // layouts that give the same new text are the same change written two ways: keep the first of each
    const byText = new Map<string, (typeof drafts)[number]>();
    for (const d of drafts.filter((x) => x.faults === fewest)) {
      const key = d.lines.filter((l) => l.op !== '-').map((l) => l.text).join('\n');
      if (!byText.has(key)) byText.set(key, d);
    }
    const best = [...byText.values()];
    if (best.length > 1) {
      return {
        ok: false,
        ambiguous: true,
        reason: `hunk ${k + 1} of ${path} at ${where}: a dropped blank line could go in ${best.length} places next to added lines`,
      };
    }
    const { lines, start } = best[0];
    inferred += best[0].inferred;
    if (drafts.length > 1) placedByStyle++;
    const done = finishHunk(h, k, path, lines, start + 1, delta);
    if (!done.hunk) return done.fail as Rebuilt;
    markNoEol(done.hunk.lines, file, p.end >= file.lines.length);
    hunks.push(done.hunk);
    delta += done.hunk.newLines - done.hunk.oldLines;
  }
  return { ok: true, patch: { ...mf, hunks }, inferred, placedByStyle };
}

/**
 * Method 4: the hunks placed by their post-image in a branch that already carries the fix; removed lines taken
 * exactly from a file that still has the pre-image (`sources`), whose lines must then agree exactly.
 */
export function rebuildFromFixed(mf: FilePatch, fixed: FileLines, where: string, sources: { label: string; file: FileLines }[]): Rebuilt {
  const path = filePath(mf);
  if (mf.oldPath === null || mf.newPath === null || mf.binary) {
    return { ok: false, ambiguous: false, reason: `${path} is created, deleted or binary` };
  }
  const hunks: Hunk[] = [];
  let delta = 0;
  for (const [k, h] of mf.hunks.entries()) {
    const { p, fail } = unique(placeHunk(h, fixed.lines, 'post'), `the post-image of hunk ${k + 1}`, path, where);
    if (!p) return fail as Rebuilt;
    let built: Hunk | undefined;
    const tried: string[] = [];
    for (const src of sources) {
      const pre = placeHunk(h, src.file.lines, 'pre');
      if (pre.length !== 1) {
        tried.push(`${src.label} (${pre.length} matches)`);
        continue;
      }
      const removedAt = pre[0].mapped;
      const { draft } = draftHunk(h, fixed, p, (idx) => ({ op: '-', text: src.file.lines[removedAt.get(idx) as number], exact: true }));
      const lines: HunkLine[] = draft.map((d) => ({ op: d.op, text: d.text }));
      const preImage = lines.filter((l) => l.op !== '+').map((l) => l.text);
      const first = src.file.lines.indexOf(preImage[0], Math.max(0, pre[0].start - 3));
      const agrees = first >= 0 && preImage.every((t, i) => src.file.lines[first + i] === t);
      if (!agrees) {
        tried.push(`${src.label} (its lines differ from ${where}'s around the change)`);
        continue;
      }
      const done = finishHunk(h, k, path, lines, first + 1, delta);
      if (!done.hunk) {
        tried.push(`${src.label} (${(done.fail as { reason: string }).reason})`);
        continue;
      }
      built = done.hunk;
      break;
    }
    if (!built) {
      return { ok: false, ambiguous: false, reason: `no exact pre-image for hunk ${k + 1} of ${path}${tried.length ? ': tried ' + tried.join(', ') : ''}` };
    }
    hunks.push(built);
    delta += built.newLines - built.oldLines;
  }
  return { ok: true, patch: { ...mf, hunks }, inferred: 0 };
}
