/**
 * Reading the diff part of a mail: where it starts and ends, parsing it into FilePatch[], and telling whether a
 * mailer or a web archive damaged its whitespace. Clean diffs go through the `diff` package's parsePatch; damaged
 * ones through the lenient parser below, which still knows each line's op from its first character.
 */
import { parsePatch } from 'diff';
import type { DiffDamage } from '../core/candidate.ts';
import type { FilePatch, Hunk, HunkLine } from '../core/patch.ts';

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;
const DIFFSTAT_SUMMARY = /^\s*\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?\s*$/;
/** git's extended header lines, kept verbatim in FilePatch.headers */
const EXTENDED_HEADER =
  /^(index [0-9a-f]+\.\.[0-9a-f]+|(old|new|deleted file|new file) mode |similarity index |dissimilarity index |rename (from|to) |copy (from|to) |Binary files |GIT binary patch)/;

/** Index of the first line of the diff in `lines` (from `from`), or -1. A diffstat, when present, ends before it. */
export function findDiffStart(lines: string[], from = 0): number {
  let begin = from;
  for (let i = from; i < lines.length; i++) if (DIFFSTAT_SUMMARY.test(lines[i])) begin = i + 1;
  for (let i = begin; i < lines.length; i++) {
    if (lines[i].startsWith('diff --git ')) return i;
    if (/^--- \S/.test(lines[i]) && /^\+\+\+ \S/.test(lines[i + 1] ?? '') && HUNK_HEADER.test(lines[i + 2] ?? '')) return i;
  }
  return -1;
}

/**
 * Index one past the last diff line: the mail signature (`-- ` then a git version like `2.51.0`; web archives drop
 * the trailing space) ends the diff; so does the end of the text.
 */
export function findDiffEnd(lines: string[], start: number): number {
  let end = lines.length;
  for (let i = start; i < lines.length; i++) {
    if (lines[i] !== '-- ' && lines[i] !== '--') continue;
    const rest = lines.slice(i + 1).filter((l) => l.trim() !== '');
    if (rest.length === 0 || /^\d+(\.\d+)+(\S*)\s*$/.test(rest[0]) || lines[i] === '-- ' && !looksLikeDiff(rest[0])) {
      end = i;
      break;
    }
  }
  return end;
}

function looksLikeDiff(line: string): boolean {
  return /^(diff --git |@@ |[-+ \\])/.test(line);
}

interface RawHunk {
  header: { oldStart: number; oldLines: number; newStart: number; newLines: number; section: string };
  lines: HunkLine[];
  /** lines that were neither +, - nor space: damaged context lines */
  bareContext: number;
  emptyContext: number;
}

interface RawFile {
  patch: FilePatch;
  raw: RawHunk[];
}

function unquotePath(p: string): string {
  if (!p.startsWith('"')) return p;
  const inner = p.slice(1, p.endsWith('"') ? -1 : undefined);
  return inner.replace(/\\(["\\tn]|[0-7]{3})/g, (_, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : /^[0-7]{3}$/.test(c) ? String.fromCharCode(parseInt(c, 8)) : c,
  );
}

function stripPrefix(p: string): string | null {
  const path = unquotePath(p.trim().split('\t')[0]);
  if (path === '/dev/null') return null;
  return path.replace(/^[ab]\//, '');
}

/** "diff --git a/x b/x" → ["x", "x"] when the two halves can be told apart */
function pathsOfGitLine(line: string): [string, string] | null {
  const rest = line.slice('diff --git '.length);
  const quoted = /^("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")$/.exec(rest);
  if (quoted) return [stripPrefix(quoted[1]) ?? '', stripPrefix(quoted[2]) ?? ''];
  const half = /^a\/(.+) b\/(.+)$/.exec(rest);
  if (half) return [half[1], half[2]];
  return null;
}

/** The lenient parser: every structure git emits, and whatever a mailer left of it. Never throws. */
export function parseDiffLenient(text: string): RawFile[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const files: RawFile[] = [];
  let file: RawFile | null = null;
  let hunk: RawHunk | null = null;
  let inBinaryLiteral = false;

  const newFile = (oldPath: string | null, newPath: string | null): RawFile => {
    const f: RawFile = { patch: { oldPath, newPath, hunks: [], headers: [], binary: false }, raw: [] };
    files.push(f);
    return f;
  };

  /** empty lines after a hunk's last counted line are the mail's spacing, not blank context */
  const closeHunk = () => {
    if (!hunk) return;
    while (hunk.lines.length > 0 && hunk.emptyContext > 0) {
      const last = hunk.lines[hunk.lines.length - 1];
      const c = counts(hunk.lines);
      if (!(last.op === ' ' && last.text === '' && (c.old > hunk.header.oldLines || c.new > hunk.header.newLines))) break;
      hunk.lines.pop();
      hunk.emptyContext--;
    }
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('diff --git ')) {
      closeHunk();
      const paths = pathsOfGitLine(line);
      file = newFile(paths ? paths[0] : null, paths ? paths[1] : null);
      hunk = null;
      inBinaryLiteral = false;
      continue;
    }
    const startsFileHeader = /^--- /.test(line) && /^\+\+\+ /.test(lines[i + 1] ?? '');
    if (startsFileHeader && (!hunk || HUNK_HEADER.test(lines[i + 2] ?? '') || hunkComplete(hunk))) {
      const oldPath = stripPrefix(line.slice(4));
      const newPath = stripPrefix(lines[i + 1].slice(4));
      closeHunk();
      if (!file || file.patch.hunks.length > 0 || file.raw.length > 0) file = newFile(oldPath, newPath);
      else {
        file.patch.oldPath = oldPath;
        file.patch.newPath = newPath;
      }
      hunk = null;
      i++;
      continue;
    }
    if (!file) continue;
    const h = HUNK_HEADER.exec(line);
    if (h) {
      closeHunk();
      hunk = {
        header: {
          oldStart: Number(h[1]),
          oldLines: h[2] === undefined ? 1 : Number(h[2]),
          newStart: Number(h[3]),
          newLines: h[4] === undefined ? 1 : Number(h[4]),
          section: h[5] ?? '',
        },
        lines: [],
        bareContext: 0,
        emptyContext: 0,
      };
      file.raw.push(hunk);
      file.patch.hunks.push({ ...hunk.header, lines: hunk.lines });
      continue;
    }
    if (!hunk) {
      // extended headers (and binary patch data) between "diff --git" and the first hunk
      if (inBinaryLiteral || EXTENDED_HEADER.test(line)) {
        if (/^(GIT binary patch|Binary files )/.test(line)) {
          file.patch.binary = true;
          inBinaryLiteral = line.startsWith('GIT binary patch');
        }
        if (/^new file mode /.test(line)) file.patch.oldPath = null;
        if (/^deleted file mode /.test(line)) file.patch.newPath = null;
        if (/^rename from /.test(line)) file.patch.oldPath = line.slice('rename from '.length);
        if (/^rename to /.test(line)) file.patch.newPath = line.slice('rename to '.length);
        file.patch.headers.push(line);
      }
      continue;
    }
    const op = line[0];
    if (op === '+' || op === '-' || op === ' ') hunk.lines.push({ op, text: line.slice(1) });
    else if (op === '\\') {
      const last = hunk.lines[hunk.lines.length - 1];
      if (last) last.noEol = true;
    } else if (line === '') {
      hunk.lines.push({ op: ' ', text: '' });
      hunk.emptyContext++;
    } else {
      hunk.lines.push({ op: ' ', text: line });
      hunk.bareContext++;
    }
  }
  closeHunk();
  return files;
}

function counts(lines: HunkLine[]): { old: number; new: number } {
  let o = 0;
  let n = 0;
  for (const l of lines) {
    if (l.op !== '+') o++;
    if (l.op !== '-') n++;
  }
  return { old: o, new: n };
}

function hunkComplete(h: RawHunk): boolean {
  const c = counts(h.lines);
  return c.old >= h.header.oldLines && c.new >= h.header.newLines;
}

/** Files whose indentation is tabs in the kernel (C, assembly, Kconfig, Makefiles, device trees). */
function expectsTabs(path: string): boolean {
  return /\.(c|h|S|dts|dtsi)$|(^|\/)(Kconfig[^/]*|Makefile[^/]*|Kbuild)$/.test(path);
}

/** Why a parsed diff looks whitespace-damaged; empty when it looks clean. */
export function detectDamage(files: RawFile[]): DiffDamage {
  const reasons: string[] = [];
  let bare = 0;
  const badCounts: string[] = [];
  let oneSpace = 0;
  let tabs = 0;
  let indentedTabFileLines = 0;
  for (const f of files) {
    const path = f.patch.newPath ?? f.patch.oldPath ?? '?';
    f.raw.forEach((h, k) => {
      bare += h.bareContext;
      const c = counts(h.lines);
      if (c.old !== h.header.oldLines || c.new !== h.header.newLines) {
        badCounts.push(
          `hunk ${k + 1} of ${path} says -${h.header.oldLines} +${h.header.newLines} lines but carries -${c.old} +${c.new}`,
        );
      }
      for (const l of h.lines) {
        if (l.text.includes('\t')) tabs++;
        if (!expectsTabs(path)) continue;
        if (/^\s/.test(l.text)) indentedTabFileLines++;
        // " * comment" lines are legitimately indented by one space in C
        if (l.op !== ' ' && /^ [^\s*]/.test(l.text)) oneSpace++;
      }
    });
  }
  if (bare > 0) reasons.push(`${bare} context line${bare === 1 ? '' : 's'} lost ${bare === 1 ? 'its' : 'their'} leading space`);
  if (badCounts.length) reasons.push(`hunk line counts do not add up (${badCounts.join('; ')})`);
  if (tabs === 0 && oneSpace >= 1) {
    reasons.push(`${oneSpace} added or removed line${oneSpace === 1 ? ' is' : 's are'} indented by one space where tabs are expected`);
  }
  // alone this is no proof (a few kernel files, lib/zstd for one, are indented with spaces): only a supporting reason
  if (tabs === 0 && indentedTabFileLines >= 2 && reasons.length > 0) reasons.push('no tab anywhere in a diff of tab-indented files');
  return { damaged: reasons.length > 0, reasons };
}

/**
 * Clean diffs: the `diff` package's parsePatch reads the hunks (and rejects counts that do not add up); the lenient
 * scan supplies what parsePatch does not keep (extended headers, the @@ section text).
 */
function fromParsePatch(text: string, lenient: RawFile[]): FilePatch[] | null {
  let parsed;
  try {
    parsed = parsePatch(text);
  } catch {
    return null;
  }
  const withContent = parsed.filter((p) => p.hunks.length > 0 || p.oldFileName !== undefined || p.newFileName !== undefined);
  if (withContent.length !== lenient.length) return null;
  const out: FilePatch[] = [];
  for (let i = 0; i < lenient.length; i++) {
    const mine = lenient[i].patch;
    const theirs = withContent[i];
    if (theirs.hunks.length !== mine.hunks.length) return null;
    const hunks: Hunk[] = theirs.hunks.map((h, k) => {
      const lines: HunkLine[] = [];
      for (const raw of h.lines) {
        if (raw.startsWith('\\')) {
          if (lines.length) lines[lines.length - 1].noEol = true;
          continue;
        }
        const op = raw === '' ? ' ' : raw[0];
        if (op !== ' ' && op !== '+' && op !== '-') continue;
        lines.push({ op, text: raw.slice(1) });
      }
      // jsdiff shifts the start of an empty side by one (-0,0 becomes 1): the header numbers come from the text
      const { oldStart, oldLines, newStart, newLines, section } = mine.hunks[k];
      return { oldStart, oldLines, newStart, newLines, section, lines };
    });
    out.push({ ...mine, hunks });
  }
  return out;
}

export interface ParsedDiff {
  files: FilePatch[];
  damage: DiffDamage;
}

export function parseDiff(text: string): ParsedDiff {
  const lenient = parseDiffLenient(text);
  const damage = detectDamage(lenient);
  if (!damage.damaged) {
    const files = fromParsePatch(text, lenient);
    if (files) return { files, damage };
    return { files: lenient.map((f) => f.patch), damage: { damaged: true, reasons: ['the diff library rejects the diff'] } };
  }
  return { files: lenient.map((f) => f.patch), damage };
}
