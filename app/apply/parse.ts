/**
 * A plain unified diff (-p1, `a/` `b/` prefixes, as `git diff` and `diff -u` write them) into FilePatch[].
 * The `diff` package parses; we add back what it drops: the @@ section text and git's extended headers.
 */
import { parsePatch } from 'diff';
import { StablebotError } from '../core/errors.ts';
import type { FilePatch, Hunk, HunkLine } from '../core/patch.ts';

const HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ ?(.*)$/;
const EXTENDED_HEADER = /^(index |old mode |new mode |deleted file mode |new file mode |similarity index |rename from |rename to |copy from |copy to )/;

function stripPrefix(name: string | undefined): string | null {
  if (name === undefined) return null;
  const path = name.split('\t')[0].trim();
  if (path === '/dev/null' || path === '') return null;
  return path.replace(/^[ab]\//, '');
}

export function parseUnifiedDiff(text: string): FilePatch[] {
  const raw = text.replace(/\r\n/g, '\n');
  const rawLines = raw.split('\n');
  const sections = rawLines.filter((l) => HUNK_HEADER.test(l)).map((l) => HUNK_HEADER.exec(l)![1]);
  const headersPerFile: string[][] = [];
  for (const l of rawLines) {
    if (l.startsWith('diff --git ')) headersPerFile.push([]);
    else if (EXTENDED_HEADER.test(l) && headersPerFile.length) headersPerFile[headersPerFile.length - 1].push(l);
  }
  let parsed;
  try {
    parsed = parsePatch(raw);
  } catch (e) {
    throw new StablebotError('bad-input', `not a unified diff: ${(e as Error).message}`);
  }
  const files: FilePatch[] = [];
  let hunkNo = 0;
  for (const [i, p] of parsed.entries()) {
    if (!p.hunks.length && !p.isBinary && !p.isRename && !p.isCreate && !p.isDelete) continue;
    const hunks: Hunk[] = p.hunks.map((h) => {
      const lines: HunkLine[] = [];
      for (const l of h.lines) {
        if (l.startsWith('\\')) {
          if (lines.length) lines[lines.length - 1].noEol = true;
          continue;
        }
        const op = l[0];
        if (op !== ' ' && op !== '-' && op !== '+') throw new StablebotError('bad-input', `malformed hunk line: ${JSON.stringify(l.slice(0, 60))}`);
        lines.push({ op, text: l.slice(1) });
      }
      return { oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, section: sections[hunkNo++] ?? '', lines };
    });
    const oldPath = p.isCreate ? null : stripPrefix(p.oldFileName);
    const newPath = p.isDelete ? null : stripPrefix(p.newFileName);
    if (oldPath === null && newPath === null) throw new StablebotError('bad-input', 'diff names no file');
    files.push({ oldPath, newPath, hunks, headers: headersPerFile[i] ?? [], binary: Boolean(p.isBinary) });
  }
  if (!files.length) throw new StablebotError('bad-input', 'no file changes found in the patch');
  return files;
}
