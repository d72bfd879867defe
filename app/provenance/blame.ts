import type { FilePatch, Hunk } from '../core/patch.ts';
import { blameRangeArgs, parsePorcelain } from '../git/blame.ts';
import type { Git } from '../git/git.ts';
import { findBlock } from './text.ts';

/** Why a pre-image line matters: the fix removes it, the fix's insertion sits next to it, or it is plain context. */
export type LineRole = 'removed' | 'insertion-neighbour' | 'context';

export interface BlamedLine {
  commit: string;
  path: string;
  /** 1-based line number at the blamed revision */
  line: number;
  text: string;
  role: LineRole;
}

interface Wanted {
  line: number;
  role: LineRole;
}

/** Pre-image line numbers (1-based, relative to the hunk's first pre-image line) and their role. */
export function hunkLineRoles(h: Hunk): { offset: number; role: LineRole }[] {
  const roles: { offset: number; role: LineRole }[] = [];
  let offset = 0;
  const pre: { offset: number; op: ' ' | '-' }[] = [];
  const insertAfter = new Set<number>(); // pre-image offsets after which a pure insertion starts (-1 = before first)
  let prevOp: string | null = null;
  for (const l of h.lines) {
    if (l.op === '+') {
      if (prevOp !== '-' && prevOp !== '+') insertAfter.add(offset - 1);
    } else {
      pre.push({ offset, op: l.op });
      offset++;
    }
    prevOp = l.op === '+' && prevOp === '-' ? '-' : l.op;
  }
  for (const p of pre) {
    let role: LineRole = p.op === '-' ? 'removed' : 'context';
    if (role === 'context' && (insertAfter.has(p.offset) || insertAfter.has(p.offset - 1))) role = 'insertion-neighbour';
    roles.push({ offset: p.offset, role });
  }
  return roles;
}


/**
 * Blames, at `rev`, only the lines the fix touches (removed lines, the lines its insertions sit between, and its
 * context), with one `git blame -L … -L …` per file. When `exactLines` is false the hunk is first located in the
 * file at `rev` (the diff's line numbers are not those of `rev`).
 */
export async function blameFix(
  git: Git,
  rev: string,
  files: FilePatch[],
  exactLines: boolean,
  /** blame only lines of these roles (the sweep skips plain context: old context lines make blame walk further) */
  roles?: LineRole[],
): Promise<BlamedLine[]> {
  const out: BlamedLine[] = [];
  for (const f of files) {
    if (f.oldPath === null) continue;
    const path = f.oldPath;
    let text: string | null = null;
    if (!exactLines) {
      text = await git.show(rev, path);
      if (text === null) continue;
    }
    const wanted = new Map<number, LineRole>();
    for (const h of f.hunks) {
      let start = h.oldStart;
      if (!exactLines) {
        const pre = h.lines.filter((l) => l.op !== '+').map((l) => l.text);
        const hits = findBlock(text as string, pre);
        if (hits.length !== 1) continue;
        start = hits[0] + 1;
      }
      for (const r of hunkLineRoles(h)) {
        if (roles && !roles.includes(r.role)) continue;
        const line = start + r.offset;
        const prev = wanted.get(line);
        if (!prev || prev === 'context') wanted.set(line, r.role);
      }
    }
    if (wanted.size === 0) continue;
    const args = ['blame', '--porcelain', ...blameRangeArgs([...wanted.keys()]), rev, '--', path];
    const r = await git.run(args, { allowFail: true });
    if (r.code !== 0) continue;
    out.push(...rolesOf(r.stdout, path, wanted));
  }
  return out;
}

/** The blamed lines we asked for, with the role each plays in the fix. */
function rolesOf(text: string, path: string, wanted: Map<number, LineRole>): BlamedLine[] {
  return parsePorcelain(text).flatMap((l) => {
    const role = wanted.get(l.finalLine);
    return role ? [{ commit: l.commit, path, line: l.finalLine, text: l.text, role }] : [];
  });
}
