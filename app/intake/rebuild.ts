/**
 * Rebuilding damaged hunks from real file lines (recovery methods 4 and 5). Pure functions over file contents;
 * recover.ts reads the files from git and decides which branch to try.
 */
import { filePath, postImage, type FilePatch, type Hunk, type HunkLine } from '../core/patch.ts';
import { anchoredRemovedRuns, edgeBlanks, lineCounts, norm, placeHunk, type Placement } from './align.ts';
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

export type Rebuilt = { ok: true; patch: FilePatch; inferred: number; placedByStyle?: number; removed?: RemovedOrigin } | { ok: false; ambiguous: boolean; reason: string };

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

export interface TargetOptions {
  /** per hunk: hunk line index → exact text of an added line already known from elsewhere (not inferred) */
  known?: (Map<number, string> | undefined)[];
  /** what the inferred lines are called in reasons ("added", or "removed" for a reversed hunk) */
  what?: string;
  /** breaks a tie between equally good places for dropped blank lines, when exactly one draft is preferred */
  prefer?: (lines: HunkLine[]) => boolean;
}

/** Method 5: the hunks placed by their pre-image in a target branch's file; added lines re-indented. */
export function rebuildFromTarget(mf: FilePatch, file: FileLines, where: string, zeroKnown: boolean, opts: TargetOptions = {}): Rebuilt {
  const what = opts.what ?? 'added';
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
      const known = opts.known?.[k];
      const fill = (idx: number): DraftLine => {
        const text = known?.get(idx);
        return text !== undefined ? { op: '+', text, exact: true } : { op: '+', text: h.lines[idx].text, exact: false };
      };
      const { draft, start } = draftHunk(h, file, p, fill, layout);
      const indented = inferIndentation(draft, unit, zeroKnown, `${what} line`);
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
    let best = [...byText.values()];
    const preferred = opts.prefer && best.length > 1 ? best.filter((d) => opts.prefer!(d.lines)) : [];
    if (preferred.length === 1) best = preferred;
    if (best.length > 1) {
      return {
        ok: false,
        ambiguous: true,
        reason: `hunk ${k + 1} of ${path} at ${where}: a dropped blank line could go in ${best.length} places next to ${what} lines`,
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

function containsRun(haystack: string[], run: string[]): boolean {
  for (let m = 0; m + run.length <= haystack.length; m++) if (run.every((r, j) => haystack[m + j] === r)) return true;
  return false;
}

/** The same change read backwards: the post-image becomes the pre-image and added lines become removed ones. */
function reverseHunk(h: Hunk): Hunk {
  const flip = (op: HunkLine['op']): HunkLine['op'] => (op === '+' ? '-' : op === '-' ? '+' : ' ');
  return {
    oldStart: h.newStart,
    oldLines: h.newLines,
    newStart: h.oldStart,
    newLines: h.oldLines,
    section: h.section,
    lines: h.lines.map((l) => ({ op: flip(l.op), text: l.text })),
  };
}

export interface Source {
  label: string;
  file: FileLines;
}

/** How the removed lines of a rebuilt patch were obtained, for the recovery's notes. */
export interface RemovedOrigin {
  /** removed lines copied verbatim from `sources` */
  verbatim: number;
  /** removed lines whose indentation was inferred from the lines around them */
  inferred: number;
  /** labels of the sources lines were copied from */
  sources: string[];
}

type RemovedRebuild = { ok: true; hunk: Hunk; verbatim: number; inferred: number; sources: string[] } | { ok: false; ambiguous: boolean; reason: string };

/**
 * One hunk of method 4 when no source has its whole pre-image (the older branches' context diverged): the
 * post-image exact from the fixed branch, each removed line's exact text taken from the nearest source that has
 * its run verbatim near a unique anchor, the others' indentation inferred like added lines are by method 5 (from
 * the added line that replaces them, or the braces around them), through the reversed hunk. A source and the
 * inference that disagree make the hunk ambiguous: refuse rather than pick one.
 */
function rebuildRemovedLines(mf: FilePatch, h: Hunk, k: number, fixed: FileLines, where: string, sources: Source[], zeroKnown: boolean, delta: number): RemovedRebuild {
  const path = filePath(mf);
  const known = new Map<number, string>();
  const from = new Map<number, string>();
  for (const src of sources) {
    const found = anchoredRemovedRuns(h, src.file.lines);
    for (const [idx, text] of found.lines) {
      if (known.has(idx)) continue;
      known.set(idx, text);
      from.set(idx, src.label);
    }
  }
  // where the mail dropped a blank line next to removed lines, a source showing the old lines settles it
  const prefer = (lines: HunkLine[]) => {
    const first = lines.findIndex((l) => l.op === '+');
    const last = lines.length - 1 - [...lines].reverse().findIndex((l) => l.op === '+');
    if (first < 0) return false;
    const region = lines.slice(first, last + 1).filter((l) => l.op !== '-').map((l) => norm(l.text));
    return sources.some((src) => containsRun(src.file.lines.map(norm), region));
  };
  const reversed: FilePatch = { ...mf, oldPath: mf.newPath, newPath: mf.oldPath, hunks: [reverseHunk(h)] };
  const inferredOnly = rebuildFromTarget(reversed, fixed, where, zeroKnown, { what: 'removed', prefer });
  const withSources = known.size ? rebuildFromTarget(reversed, fixed, where, zeroKnown, { what: 'removed', known: [known], prefer }) : inferredOnly;
  if (!withSources.ok) return withSources;
  const rh = withSources.patch.hunks[0];
  if (inferredOnly.ok && inferredOnly !== withSources) {
    const a = postImage(inferredOnly.patch.hunks[0]);
    const b = postImage(rh);
    const at = a.findIndex((t, i) => t !== b[i]);
    if (at >= 0 || a.length !== b.length) {
      const line = (b[at] ?? a[at] ?? '').trim().slice(0, 60);
      const label = [...from.entries()].find(([idx]) => norm(h.lines[idx].text) === norm(b[at] ?? a[at] ?? ''))?.[1] ?? 'a source';
      return {
        ok: false,
        ambiguous: true,
        reason: `hunk ${k + 1} of ${path}: removed line "${line}" is ${JSON.stringify(b[at] ?? '')} at ${label} but the code around it at ${where} says ${JSON.stringify(a[at] ?? '')}`,
      };
    }
  }
  const lines: HunkLine[] = rh.lines.map((l) => ({ op: l.op === '+' ? '-' : l.op === '-' ? '+' : ' ', text: l.text, ...(l.noEol ? { noEol: true } : {}) }));
  const done = finishHunk(h, k, path, lines, rh.oldStart - delta, delta);
  if (!done.hunk) return done.fail as RemovedRebuild;
  const removed = h.lines.map((l, idx) => ({ l, idx })).filter(({ l }) => l.op === '-' && l.text.trim() !== '');
  const verbatim = removed.filter(({ idx }) => known.has(idx)).length;
  return { ok: true, hunk: done.hunk, verbatim, inferred: removed.length - verbatim, sources: [...new Set(from.values())] };
}

/**
 * Method 4: the hunks placed by their post-image in a branch that already carries the fix; removed lines taken
 * exactly from a file that still has the whole pre-image (`sources`, strongest first), or else line by line
 * (rebuildRemovedLines).
 */
export function rebuildFromFixed(mf: FilePatch, fixed: FileLines, where: string, sources: Source[], zeroKnown = false): Rebuilt {
  const path = filePath(mf);
  if (mf.oldPath === null || mf.newPath === null || mf.binary) {
    return { ok: false, ambiguous: false, reason: `${path} is created, deleted or binary` };
  }
  const hunks: Hunk[] = [];
  const origin: RemovedOrigin = { verbatim: 0, inferred: 0, sources: [] };
  const used = (label: string) => {
    if (!origin.sources.includes(label)) origin.sources.push(label);
  };
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
      origin.verbatim += h.lines.filter((l) => l.op === '-' && l.text.trim() !== '').length;
      used(src.label);
      break;
    }
    if (!built) {
      const r = rebuildRemovedLines(mf, h, k, fixed, where, sources, zeroKnown, delta);
      if (!r.ok) {
        const whole = tried.length ? `no source has the whole pre-image of hunk ${k + 1} of ${path} (tried ${tried.join(', ')}); ` : '';
        return { ok: false, ambiguous: r.ambiguous, reason: `${whole}${r.reason}` };
      }
      built = r.hunk;
      origin.verbatim += r.verbatim;
      origin.inferred += r.inferred;
      r.sources.forEach(used);
    }
    hunks.push(built);
    delta += built.newLines - built.oldLines;
  }
  return { ok: true, patch: { ...mf, hunks }, inferred: origin.inferred, removed: origin };
}
