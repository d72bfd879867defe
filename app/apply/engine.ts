/**
 * The content-level backport engine: upstream's diff onto a target tree, with no git history needed.
 *
 * Per hunk, in order: exact apply (stated line, then nearest match outward, like `patch`); relocation (anchor =
 * context + removed lines, unique in the file, compared whitespace-insensitively; the target's text is kept for
 * context); then rules from rules/*.yml. Context is never fuzzed away. Every placed hunk then goes through the
 * rewrite rules and the safety checks, and the whole result through the interdiff. All or nothing: any refusal
 * means no file content is returned.
 */
import type { Adaptation } from '../core/backport.ts';
import type { FilePatch, Hunk, HunkLine } from '../core/patch.ts';
import { filePath, postImage, preImage } from '../core/patch.ts';
import type { TreeView } from '../core/tree.ts';
import { placeByRules, refusalByRules, retargetByRules, rewriteByRules } from '../rules/engine.ts';
import { loadDefaultRules } from '../rules/load.ts';
import type { Rule } from '../rules/schema.ts';
import { codeLines, declaredNames, sectionFits } from './c-syntax.ts';
import { checkPlacement, wordsOf, type UpstreamFile } from './checks.ts';
import { linesCached } from './tree-cache.ts';
import { interdiff } from './interdiff.ts';
import { chooseNearest, chooseUnique, excerpt, findWindows, normalizedLines, statedStart } from './locate.ts';
import { joinText, normalizeWs, splitText, type FileText } from './text.ts';
import { RefusedError, type HunkContext, type Placement, type PortMethod, type PortResult, type Refusal } from './types.ts';

export type { PortResult, Refusal, Placement } from './types.ts';

export interface PortOptions {
  /** rules to use (default: the repository's rules/*.yml) */
  rules?: Rule[];
  /**
   * refuse added lines that use an identifier existing nowhere on the target and declared nowhere in the patch
   * (default true: such a backport cannot compile without a prerequisite)
   */
  strictIdentifiers?: boolean;
  /**
   * upstream's tree BEFORE the change (the fix's parent commit). With it, a name the target lacks is judged by
   * whether upstream had it before the change (a missing prerequisite: refused) or the change introduces it
   * (in a hunk or file of the change: its own business). Without it, every such name is refused.
   */
  upstreamTree?: TreeView;
  /**
   * run the safety checks (default true). false only to measure the checks themselves: what would the refusals they
   * make have been (bench/realdata --check-precision)
   */
  checks?: boolean;
}

interface PortContext {
  tree: TreeView;
  rules: Rule[];
  patchDeclared: Set<string>;
  strictIdentifiers: boolean;
  upstreamTree?: TreeView;
  checks: boolean;
}

const METHOD_RANK: Record<PortMethod, number> = { exact: 0, relocation: 1, rules: 2 };

export async function portPatch(files: FilePatch[], tree: TreeView, opts: PortOptions = {}): Promise<PortResult> {
  const rules = opts.rules ?? loadDefaultRules();
  const allAdded = files.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.op === '+').map((l) => l.text)));
  const pc: PortContext = { tree, rules, patchDeclared: declaredNames(codeLines(allAdded)), strictIdentifiers: opts.strictIdentifiers ?? true, upstreamTree: opts.upstreamTree, checks: opts.checks ?? true };
  try {
    const out: PortResult['files'] = [];
    const applied: FilePatch[] = [];
    const adaptations: Adaptation[] = [];
    let method: PortMethod = 'exact';
    for (const fp of files) {
      const r = await portFile(fp, pc);
      out.push(...r.files);
      applied.push(r.applied);
      adaptations.push(...r.adaptations);
      if (METHOD_RANK[r.method] > METHOD_RANK[method]) method = r.method;
    }
    const idf = interdiff(files, applied, adaptations);
    if (idf.unexplained.length) {
      throw new RefusedError({ check: 'interdiff', reason: `differences from upstream no rule explains: ${idf.unexplained.slice(0, 3).join('; ')}` });
    }
    return { outcome: adaptations.length ? 'adapted' : 'clean', files: out, applied, adaptations, method };
  } catch (e) {
    if (e instanceof RefusedError) return { outcome: 'refused', files: [], applied: [], adaptations: [], method: null, refusal: e.refusal };
    throw e;
  }
}

interface FileResult {
  files: PortResult['files'];
  applied: FilePatch;
  adaptations: Adaptation[];
  method: PortMethod;
}

function refuse(r: Refusal): never {
  throw new RefusedError(r);
}

async function portFile(fp: FilePatch, pc: PortContext): Promise<FileResult> {
  const { tree, rules } = pc;
  const path = filePath(fp);
  if (fp.binary) refuse({ check: 'binary', reason: `${path}: binary changes cannot be ported by content`, file: path });
  if (fp.oldPath === null) return newFile(fp, tree);
  if (fp.newPath === null) return deletedFile(fp, tree);

  const upstreamPath = fp.oldPath;
  let targetPath = upstreamPath;
  let content = await tree.read(upstreamPath);
  let text: FileText;
  const fileAdaptations: Adaptation[] = [];
  if (content === null) {
    const moved = await retargetByRules(rules, { tree, file: fp, upstreamPath });
    if (!moved) refuse({ check: 'absent-code', reason: `${upstreamPath} does not exist on the target and its code was not found elsewhere`, file: upstreamPath });
    if ('refusal' in moved) refuse(moved.refusal);
    targetPath = moved.path;
    text = moved.text;
    fileAdaptations.push(moved.adaptation);
  } else {
    text = splitText(content);
  }
  const fileWords = wordsOf(text.lines.join('\n'));
  const norm = normalizedLines(text.lines);
  const placements: Placement[] = [];
  const contexts = new Map<Placement, HunkContext>();
  for (const [i, hunk] of fp.hunks.entries()) {
    const ctx: HunkContext = { tree, upstreamPath, path: targetPath, text, hunk, hunkNo: i + 1, upstreamTree: pc.upstreamTree, patchDeclared: pc.patchDeclared };
    let p = await placeHunk(ctx, norm, rules);
    p = await rewriteByRules(rules, p, ctx);
    placements.push(p);
    contexts.set(p, ctx);
  }
  const upstream = await upstreamFile(pc.upstreamTree, upstreamPath);
  const ordered = [...placements].sort((a, b) => a.start - b.start);
  for (let k = 1; k < ordered.length; k++) {
    if (ordered[k - 1].start + preLen(ordered[k - 1].lines) > ordered[k].start) {
      refuse({ check: 'overlapping-hunks', reason: `two hunks of ${upstreamPath} land on overlapping lines of ${targetPath}`, file: targetPath });
    }
  }
  const newText = applyPlacements(text, ordered);
  let delta = 0;
  for (const p of ordered) {
    const bad = await checkPlacement(p, {
      ...contexts.get(p)!,
      fileWords,
      patchDeclared: pc.patchDeclared,
      newLines: newText.lines,
      newStart: p.start + delta,
      strictIdentifiers: pc.strictIdentifiers,
      upstream,
    });
    if (bad && pc.checks) refuse(bad);
    delta += p.lines.filter((l) => l.op === '+').length - preLen(p.lines);
  }
  const newPath = fp.newPath === fp.oldPath ? targetPath : fp.newPath;
  const files: PortResult['files'] = [{ path: newPath, content: joinText(newText) }];
  if (newPath !== targetPath) files.unshift({ path: targetPath, content: null });
  const method = placements.reduce<PortMethod>((m, p) => (METHOD_RANK[p.method] > METHOD_RANK[m] ? p.method : m), fileAdaptations.length ? 'rules' : 'exact');
  return {
    files,
    applied: { oldPath: targetPath, newPath, hunks: appliedHunks(placements), headers: fp.headers.filter((h) => !h.startsWith('index ')), binary: false },
    adaptations: [...fileAdaptations, ...placements.flatMap((p) => p.adaptations)],
    method,
  };
}

async function upstreamFile(tree: TreeView | undefined, path: string): Promise<UpstreamFile | undefined> {
  if (!tree) return undefined;
  // the rules read the same file through the same cache (aligned-rename, reduced-context)
  const lines = await linesCached(tree, path);
  return { tree, lines, words: lines ? wordsOf(lines.join('\n')) : new Set() };
}

function preLen(lines: HunkLine[]): number {
  return lines.filter((l) => l.op !== '+').length;
}

async function placeHunk(ctx: HunkContext, norm: string[], rules: Rule[]): Promise<Placement> {
  const { hunk, text } = ctx;
  const lines = text.lines;
  const pre = preImage(hunk);
  const where = { file: ctx.path, hunk: ctx.hunkNo };
  const placed = (start: number, method: PortMethod, hunkLines: HunkLine[]): Placement => ({
    path: ctx.path,
    start,
    lines: hunkLines,
    method,
    adaptations: [],
    section: hunk.section,
  });
  if (pre.length === 0) {
    if (lines.length === 0) return placed(0, 'exact', hunk.lines.map((l) => ({ ...l })));
    refuse({ check: 'no-context', reason: 'the hunk has no context lines: its place on the target cannot be verified', ...where });
  }
  const exact = chooseNearest(findWindows(lines, pre, (a, b) => a === b), hunk, lines);
  if (exact && 'start' in exact) return placed(exact.start, 'exact', hunk.lines.map((l) => ({ ...l })));
  if (exact) refuse({ check: 'ambiguous-anchor', reason: `the hunk's context matches ${exact.ambiguous.length} places equally near its stated line`, ...where });

  const preN = pre.map(normalizeWs);
  const reloc = chooseUnique(findWindows(norm, preN, (a, b) => a === b), hunk, lines);
  if (reloc && 'start' in reloc) {
    // whitespace-insensitive relocation is a search: code upstream keeps in one function (its @@ section) found only
    // in another function of the target is that function's look-alike (inlined, copied), not the place of the change
    if (sectionFits(hunk.section, lines, reloc.start) === false) {
      refuse({ check: 'relocated-other-function', reason: `the hunk's context is found only in a function other than the one its section names`, ...where });
    }
    return placed(reloc.start, 'relocation', withTargetText(hunk, lines, reloc.start));
  }
  if (reloc) refuse({ check: 'ambiguous-anchor', reason: `the hunk's context matches ${reloc.ambiguous.length} places (ignoring whitespace)`, ...where });

  // before any rule loosens the match: a target that already has the result must not get it twice
  const post = postImage(hunk);
  if (post.length && findWindows(norm, post.map(normalizeWs), (a, b) => a === b).length) {
    refuse({ check: 'already-applied', reason: 'the target already has the hunk\'s result', ...where });
  }
  const byRule = await placeByRules(rules, ctx);
  if (byRule && 'placement' in byRule) return byRule.placement;

  const absent = await refusalByRules(rules, ctx);
  if (absent) refuse(absent);
  if (byRule) refuse(byRule.refusal);
  refuse({
    check: 'context-mismatch',
    reason: `the hunk's context differs from ${ctx.path} on the target and no rule explains the difference`,
    ...where,
    targetExcerpt: excerpt(lines, Math.min(statedStart(hunk), lines.length), pre.length),
  });
}

function withTargetText(h: Hunk, lines: string[], start: number): HunkLine[] {
  let t = start;
  return h.lines.map((l) => (l.op === '+' ? { ...l } : { op: l.op, text: lines[t++] }));
}

function applyPlacements(text: FileText, ordered: Placement[]): FileText {
  const out: string[] = [];
  let pos = 0;
  let finalNewline = text.finalNewline;
  for (const p of ordered) {
    out.push(...text.lines.slice(pos, p.start));
    const pl = preLen(p.lines);
    out.push(...p.lines.filter((l) => l.op !== '-').map((l) => l.text));
    pos = p.start + pl;
    if (pos >= text.lines.length) {
      const last = [...p.lines].reverse().find((l) => l.op !== '-');
      if (last) finalNewline = !last.noEol;
    }
  }
  out.push(...text.lines.slice(pos));
  return { lines: out, finalNewline };
}

/** Hunks in upstream's order, with the target's line numbers. */
function appliedHunks(placements: Placement[]): Hunk[] {
  const byStart = [...placements].sort((a, b) => a.start - b.start);
  const delta = new Map<Placement, number>();
  let d = 0;
  for (const p of byStart) {
    delta.set(p, d);
    d += p.lines.filter((l) => l.op === '+').length - p.lines.filter((l) => l.op === '-').length;
  }
  return placements.map((p) => {
    const oldLines = preLen(p.lines);
    const newLines = p.lines.filter((l) => l.op !== '-').length;
    const oldStart = oldLines ? p.start + 1 : p.start;
    const newStart = (newLines ? p.start + 1 : p.start) + delta.get(p)!;
    return { oldStart, oldLines, newStart, newLines, section: p.section, lines: p.lines };
  });
}

async function newFile(fp: FilePatch, tree: TreeView): Promise<FileResult> {
  const path = fp.newPath!;
  if ((await tree.read(path)) !== null) refuse({ check: 'file-exists', reason: `${path} already exists on the target`, file: path });
  const added = fp.hunks.flatMap((h) => h.lines.filter((l) => l.op === '+'));
  const last = added[added.length - 1];
  const content = joinText({ lines: added.map((l) => l.text), finalNewline: !last?.noEol });
  return { files: [{ path, content }], applied: fp, adaptations: [], method: 'exact' };
}

async function deletedFile(fp: FilePatch, tree: TreeView): Promise<FileResult> {
  const path = fp.oldPath!;
  const content = await tree.read(path);
  if (content === null) refuse({ check: 'absent-code', reason: `${path} does not exist on the target`, file: path });
  const removed = fp.hunks.flatMap((h) => preImage(h));
  const lines = splitText(content).lines;
  if (removed.length !== lines.length || removed.some((l, i) => l !== lines[i])) {
    refuse({ check: 'context-mismatch', reason: `${path} on the target differs from the file upstream deletes`, file: path });
  }
  return { files: [{ path, content: null }], applied: fp, adaptations: [], method: 'exact' };
}
