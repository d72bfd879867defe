/**
 * The sweep's blame: "which commits wrote the lines this fix removes or inserts between, and are they older than
 * the stable branches' fork points?", for thousands of fixes, at a cost that does not grow with the age of the
 * oldest stable branch.
 *
 * A line older than a branch's fork point is in that branch by ancestry: that is all the sweep needs to know
 * about old code. So a fix is blamed in two stages:
 *  1. `git blame -L <lines> <newest-fork>..<fix^>`: the walk stops at the newest fork point (a release cycle at
 *     most, usually the sweep's own range). Lines written after it come back with their commit.
 *  2. Lines older than it come back as "boundary" lines, numbered as in the boundary commit (an ancestor of the
 *     newest fork). Whether they are older than the OLDEST fork is a question about the boundary commit's file,
 *     not about the fix: many fixes of one sweep touch the same old lines of the same file, so the answer of
 *     `git blame -L <lines> <oldest-fork>..<boundary>` is cached per (boundary, path, line) and shared.
 * Lines older than the oldest fork point are reported as that fork point ("in every branch by ancestry").
 *
 * Before either stage, the sweep's own range is replayed in memory: the sweep has already read every commit's diff
 * (one `git log -p`), so when an earlier commit of the range produced exactly the file the fix starts from (same
 * blob, and an ancestor of the fix), its diff says which of the wanted lines it wrote and where the others were
 * before it. Only lines older than the range reach `git blame`, and those are shared by every fix of that file.
 */
import type { FilePatch, Hunk } from '../core/patch.ts';
import type { Git } from '../git/git.ts';
import type { WalkedCommit } from '../index/logwalk.ts';
import { parseDiff } from '../intake/diff.ts';
import { hunkLineRoles, type LineRole } from '../provenance/blame.ts';
import { blameRangeArgs, parsePorcelain, type PorcelainLine } from '../git/blame.ts';

export interface BlameBounds {
  /** the newest fork point every other one is an ancestor of (null: no such chain, blame in one stage) */
  newest: string | null;
  /** the oldest common fork point (null: no common history, blame unbounded) */
  oldest: string | null;
}


export interface BlameStats {
  /** `git blame` processes started */
  processes: number;
  /** lines answered from the cache of earlier blames */
  cached: number;
  /** lines attributed in memory to a commit of the sweep's range (no git) */
  replayed: number;
}

/** one commit of the range that changed a path */
interface Touch {
  idx: number;
  commit: WalkedCommit;
  path: string;
  /** abbreviated blob ids from the diff's index line (null: file created / deleted) */
  pre: string | null;
  post: string | null;
}

const ZERO = /^0+$/;

/** Two abbreviations of blob ids name the same blob when one is a prefix of the other (both are unique prefixes). */
function sameBlob(a: string | null, b: string | null): boolean {
  if (!a || !b) return false;
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/** path -> [pre, post] blob abbreviations, from the `diff --git` / `index` header lines of a commit's diff */
export function blobsOfDiff(diff: string): Map<string, [string | null, string | null]> {
  const out = new Map<string, [string | null, string | null]>();
  let path: string | null = null;
  for (const l of diff.split('\n')) {
    const d = /^diff --git a\/(.*) b\/(.*)$/.exec(l);
    if (d) {
      path = d[1];
      continue;
    }
    const ix = path !== null ? /^index ([0-9a-f]+)\.\.([0-9a-f]+)/.exec(l) : null;
    if (ix && path !== null) {
      out.set(path, [ZERO.test(ix[1]) ? null : ix[1], ZERO.test(ix[2]) ? null : ix[2]]);
      path = null;
    }
  }
  return out;
}

/**
 * Where post-image line `n` of a file came from in one commit's hunks: written by the commit ('added'), or its
 * pre-image line number.
 */
export function mapThroughHunks(hunks: Hunk[], n: number): { added: true } | { added: false; pre: number } {
  let delta = 0; // pre - post line numbers before the current position
  for (const h of hunks) {
    const newStart = h.newLines === 0 ? h.newStart + 1 : h.newStart;
    if (n < newStart) break;
    let post = newStart;
    let pre = h.oldLines === 0 ? h.oldStart + 1 : h.oldStart;
    for (const l of h.lines) {
      if (l.op === '-') {
        pre++;
        continue;
      }
      if (post === n) return l.op === '+' ? { added: true } : { added: false, pre };
      post++;
      if (l.op === ' ') pre++;
    }
    delta = pre - post;
  }
  return { added: false, pre: n + delta };
}



export class SweepBlame {
  /** `${rev} ${path} ${line}` -> the commit that wrote it (`oldest` for older code), or null when blame failed */
  private readonly cache = new Map<string, Promise<string | null>>();
  private readonly touches = new Map<string, Touch[]>();
  private readonly indexOf = new Map<string, number>();
  private readonly range: WalkedCommit[] = [];
  private readonly hunkCache = new Map<string, Hunk[] | null>();
  readonly stats: BlameStats = { processes: 0, cached: 0, replayed: 0 };

  constructor(
    private readonly git: Git,
    private readonly bounds: BlameBounds,
    /** the sweep's commits, parents before children (`git log --topo-order --reverse`), with their diffs */
    range: WalkedCommit[] = [],
  ) {
    for (const c of range) {
      const idx = this.range.length;
      this.range.push(c);
      this.indexOf.set(c.sha, idx);
      if (c.parents.length !== 1 || !c.diff) continue;
      for (const [path, [pre, post]] of blobsOfDiff(c.diff)) {
        const list = this.touches.get(path) ?? [];
        list.push({ idx, commit: c, path, pre, post });
        this.touches.set(path, list);
      }
    }
  }

  private async blame(rev: string, path: string, lines: number[]): Promise<PorcelainLine[] | null> {
    this.stats.processes++;
    const r = await this.git.run(['blame', '--porcelain', ...blameRangeArgs(lines), rev, '--', path], { allowFail: true });
    return r.code === 0 ? parsePorcelain(r.stdout) : null;
  }

  /** is range commit `a` (index) an ancestor of, or equal to, `rev`? Walks parents inside the range only. */
  private reaches(rev: string, a: number): boolean {
    const start = this.indexOf.get(rev);
    if (start === undefined || start < a) return false;
    const seen = new Set<number>();
    const stack = [start];
    while (stack.length) {
      const i = stack.pop()!;
      if (i === a) return true;
      if (seen.has(i)) continue;
      seen.add(i);
      for (const p of this.range[i].parents) {
        const j = this.indexOf.get(p);
        // parents come before children: nothing older than `a` can lead back to it
        if (j !== undefined && j >= a) stack.push(j);
      }
    }
    return false;
  }

  private hunksOf(t: Touch): Hunk[] | null {
    const key = `${t.commit.sha} ${t.path}`;
    if (!this.hunkCache.has(key)) {
      let hunks: Hunk[] | null = null;
      try {
        const f = parseDiff(t.commit.diff!).files.find((x) => x.oldPath === t.path || x.newPath === t.path);
        hunks = f && !f.binary ? f.hunks : null;
      } catch {
        hunks = null;
      }
      this.hunkCache.set(key, hunks);
    }
    return this.hunkCache.get(key)!;
  }

  /**
   * Commits that wrote the pre-image lines of `files` (of the given roles) at the fix's parent; code older than the
   * oldest fork point comes back as the oldest fork point itself.
   */
  async introducers(fix: { sha: string; parents: string[]; diff?: string | null }, files: FilePatch[], roles: LineRole[]): Promise<string[]> {
    const found = new Set<string>();
    const parent = fix.parents[0];
    const blobs = fix.diff ? blobsOfDiff(fix.diff) : new Map<string, [string | null, string | null]>();
    for (const f of files) {
      if (f.oldPath === null) continue;
      let lines: number[] = [];
      for (const h of f.hunks) for (const r of hunkLineRoles(h)) if (roles.includes(r.role)) lines.push(h.oldStart + r.offset);
      lines = [...new Set(lines)];
      if (!lines.length) continue;

      // replay: earlier commits of the range that produced exactly this file
      let rev = parent;
      let blob = blobs.get(f.oldPath)?.[0] ?? null;
      let limit = this.indexOf.get(fix.sha) ?? -1;
      const list = this.touches.get(f.oldPath) ?? [];
      while (lines.length && blob) {
        let t: Touch | undefined;
        for (let k = list.length - 1; k >= 0; k--) {
          const x = list[k];
          if (x.idx >= limit) continue;
          if (sameBlob(x.post, blob) && this.reaches(rev, x.idx)) {
            t = x;
            break;
          }
        }
        if (!t) break;
        const hunks = this.hunksOf(t);
        if (!hunks) {
          rev = t.commit.sha; // the file at t is the one we have: blame from there
          break;
        }
        const older: number[] = [];
        for (const n of lines) {
          const m = mapThroughHunks(hunks, n);
          if (m.added) {
            found.add(t.commit.sha);
            this.stats.replayed++;
          } else older.push(m.pre);
        }
        lines = [...new Set(older)];
        rev = t.commit.parents[0];
        blob = t.pre;
        limit = t.idx;
      }
      if (!lines.length) continue;
      for (const c of await this.blameCached(rev, f.oldPath, lines)) found.add(c);
    }
    return [...found];
  }

  /** lines of `path` at `rev`, blamed in two stages (see the top of this file), each stage's answers cached */
  private async blameCached(rev: string, path: string, lines: number[], secondStage = false): Promise<string[]> {
    const { newest, oldest } = this.bounds;
    const twoStage = !secondStage && newest !== null && oldest !== null && newest !== oldest && rev !== newest && rev !== oldest;
    const key = (n: number) => `${secondStage ? 2 : 1} ${rev} ${path} ${n}`;
    const missing = lines.filter((n) => !this.cache.has(key(n)));
    this.stats.cached += lines.length - missing.length;
    if (missing.length) {
      const range = twoStage ? `${newest}..${rev}` : oldest && oldest !== rev ? `${oldest}..${rev}` : rev;
      const run = this.blame(range, path, missing).then((res) => new Map((res ?? []).map((l) => [l.finalLine, l])));
      for (const n of missing) {
        this.cache.set(
          key(n),
          run.then(async (byLine) => {
            const l = byLine.get(n);
            if (!l) return null;
            if (!l.boundary) return l.commit;
            if (!twoStage) return oldest ?? l.commit;
            // older than the newest fork: ask again from the boundary commit, down to the oldest fork
            const [c] = await this.blameCached(l.commit, l.path, [l.origLine], true);
            return c ?? null;
          }),
        );
      }
    }
    const out = await Promise.all(lines.map((n) => this.cache.get(key(n))!));
    return [...new Set(out.filter((c): c is string => c !== null))];
  }
}
