/** `git blame --porcelain` on chosen lines: the one reader of its output, shared by provenance and sweeps. */

export interface PorcelainLine {
  commit: string;
  /** the commit is the lower bound of a bounded blame (`<since>..<rev>`): the line is at least that old */
  boundary: boolean;
  /** path in `commit` (blame follows renames) */
  path: string;
  /** line number in `commit`'s version of the file */
  origLine: number;
  /** line number in the blamed revision's file */
  finalLine: number;
  text: string;
}

/** `-L a,b` arguments covering `lines` (1-based), consecutive lines merged into one range. */
export function blameRangeArgs(lines: number[]): string[] {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out.flatMap(([a, b]) => ['-L', `${a},${b}`]);
}

/** Parses `git blame --porcelain`: one entry per blamed line, in output order. */
export function parsePorcelain(text: string): PorcelainLine[] {
  const out: PorcelainLine[] = [];
  const meta = new Map<string, { boundary: boolean; path: string }>();
  let cur: { commit: string; orig: number; final: number } | null = null;
  let pendingBoundary = false;
  for (const l of text.split('\n')) {
    const head = /^([0-9a-f]{40}) (\d+) (\d+)/.exec(l);
    if (head) {
      cur = { commit: head[1], orig: Number(head[2]), final: Number(head[3]) };
      pendingBoundary = meta.get(head[1])?.boundary ?? false;
      continue;
    }
    if (!cur) continue;
    if (l === 'boundary') pendingBoundary = true;
    else if (l.startsWith('filename ')) meta.set(cur.commit, { boundary: pendingBoundary, path: l.slice(9) });
    else if (l.startsWith('\t')) {
      const m = meta.get(cur.commit);
      out.push({ commit: cur.commit, boundary: m?.boundary ?? pendingBoundary, path: m?.path ?? '', origLine: cur.orig, finalLine: cur.final, text: l.slice(1) });
      cur = null;
    }
  }
  return out;
}
