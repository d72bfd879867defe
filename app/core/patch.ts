/**
 * One home for the unified-diff model shared by intake, provenance, backport and port.
 * Lines keep their exact text (without the leading op character and without the newline).
 */
export type LineOp = ' ' | '-' | '+';

export interface HunkLine {
  op: LineOp;
  text: string;
  /** the line had "\ No newline at end of file" after it */
  noEol?: boolean;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** text after the second @@ (usually the enclosing function), without the leading space */
  section: string;
  lines: HunkLine[];
}

export interface FilePatch {
  /** path before the change (without a/ prefix); null for a new file */
  oldPath: string | null;
  /** path after the change (without b/ prefix); null for a deleted file */
  newPath: string | null;
  hunks: Hunk[];
  /** extended git headers kept verbatim (index, mode lines, similarity) */
  headers: string[];
  binary: boolean;
}

export function preImage(h: Hunk): string[] {
  return h.lines.filter((l) => l.op !== '+').map((l) => l.text);
}

export function postImage(h: Hunk): string[] {
  return h.lines.filter((l) => l.op !== '-').map((l) => l.text);
}

export function removedLines(h: Hunk): string[] {
  return h.lines.filter((l) => l.op === '-').map((l) => l.text);
}

export function addedLines(h: Hunk): string[] {
  return h.lines.filter((l) => l.op === '+').map((l) => l.text);
}

export function filePath(f: FilePatch): string {
  return (f.newPath ?? f.oldPath) as string;
}

/** Renders files back to a unified diff that `git apply` accepts. Line counts are recomputed from the lines. */
export function renderPatch(files: FilePatch[]): string {
  const out: string[] = [];
  for (const f of files) {
    const a = f.oldPath ?? f.newPath;
    const b = f.newPath ?? f.oldPath;
    out.push(`diff --git a/${a} b/${b}`);
    for (const h of f.headers) out.push(h);
    if (f.binary) continue;
    out.push(f.oldPath === null ? '--- /dev/null' : `--- a/${f.oldPath}`);
    out.push(f.newPath === null ? '+++ /dev/null' : `+++ b/${f.newPath}`);
    for (const h of f.hunks) out.push(...renderHunk(h));
  }
  return out.join('\n') + '\n';
}

export function renderHunk(h: Hunk): string[] {
  const oldLines = h.lines.filter((l) => l.op !== '+').length;
  const newLines = h.lines.filter((l) => l.op !== '-').length;
  const range = (start: number, n: number) => (n === 1 ? `${start}` : `${start},${n}`);
  const oldStart = oldLines === 0 && h.oldStart > 0 ? h.oldStart : h.oldStart;
  const out = [`@@ -${range(oldStart, oldLines)} +${range(h.newStart, newLines)} @@${h.section ? ' ' + h.section : ''}`];
  for (const l of h.lines) {
    out.push(l.op + l.text);
    if (l.noEol) out.push('\\ No newline at end of file');
  }
  return out;
}
