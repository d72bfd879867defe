/**
 * "Does stable branch B carry upstream commit X?" for thousands of X per sweep without one git process per pair.
 * By ancestry: X is in B when X is an ancestor of B's fork point from upstream. The commits between the oldest
 * common fork point and each branch's fork point are listed once (one rev-list per branch), as are the upstream
 * commits newer than every fork; only commits older than all forks need one `merge-base --is-ancestor` each
 * (cached). By backport: the reference index (reference lines, then patch-id).
 */
import type { ReferenceStyle } from '../core/candidate.ts';
import type { Git } from '../git/git.ts';
import type { ReferenceIndex } from '../index/refindex.ts';

export type Presence =
  | { via: 'ancestry' }
  | { via: 'backport'; commit: string; style: ReferenceStyle }
  | { via: 'patch-id'; commit: string };

async function revList(git: Git, args: string[]): Promise<string[]> {
  return (await git.out(['rev-list', ...args, '--'])).split('\n').filter(Boolean);
}

export class Containment {
  private readonly ancientCache = new Map<string, boolean>();

  private constructor(
    private readonly git: Git,
    private readonly index: ReferenceIndex,
    /** branch -> fork point (null: no common history with upstream) */
    private readonly forks: Map<string, string | null>,
    /** commit -> branches whose fork point has it, for commits newer than the common base */
    private readonly between: Map<string, Set<string>>,
    /** upstream commits newer than every fork point */
    private readonly newer: Set<string>,
    /** the newest commit every considered branch forked after (older code is in all of them by ancestry) */
    readonly base: string | null,
    /** the fork point every other one is an ancestor of (null when the forks do not form a chain) */
    readonly newest: string | null,
  ) {}

  static async build(git: Git, index: ReferenceIndex, upstream: string, branches: string[]): Promise<Containment> {
    const forks = new Map<string, string | null>();
    for (const b of branches) {
      const r = await git.run(['merge-base', b, upstream], { allowFail: true });
      forks.set(b, r.code === 0 ? r.stdout.trim() : null);
    }
    const points = [...new Set([...forks.values()].filter((f): f is string => !!f))];
    let base: string | null = null;
    if (points.length === 1) base = points[0];
    else if (points.length > 1) {
      const r = await git.run(['merge-base', '--octopus', ...points], { allowFail: true });
      base = r.code === 0 ? r.stdout.trim().split('\n')[0] : null;
    }
    const between = new Map<string, Set<string>>();
    if (base) {
      for (const [b, f] of forks) {
        if (!f || f === base) continue;
        for (const c of await revList(git, [f, `^${base}`])) {
          let set = between.get(c);
          if (!set) between.set(c, (set = new Set()));
          set.add(b);
        }
      }
    }
    const newer = new Set(points.length ? await revList(git, [upstream, ...points.map((p) => `^${p}`)]) : []);
    let newest: string | null = null;
    for (const p of points) {
      let all = true;
      for (const q of points) if (q !== p && !(await git.isAncestor(q, p))) all = false;
      if (all) newest = p;
    }
    return new Containment(git, index, forks, between, newer, base, newest);
  }

  /** true when `sha` (full) reached `branch` through its fork from upstream */
  async byAncestry(sha: string, branch: string): Promise<boolean> {
    const fork = this.forks.get(branch);
    if (!fork) return false;
    if (this.newer.has(sha)) return false;
    const set = this.between.get(sha);
    if (set) return set.has(branch);
    if (sha === this.base) return true;
    if (!this.base) return false;
    let ancient = this.ancientCache.get(sha);
    if (ancient === undefined) {
      ancient = await this.git.isAncestor(sha, this.base);
      this.ancientCache.set(sha, ancient);
    }
    return ancient;
  }

  /** how `branch` carries upstream commit `sha`, or null; `patchId` (of sha) enables matching unmarked backports */
  async presence(sha: string, branch: string, patchId?: string | null): Promise<Presence | null> {
    if (await this.byAncestry(sha, branch)) return { via: 'ancestry' };
    const refs = this.index.byUpstream(branch, sha);
    if (refs.length) return { via: 'backport', commit: refs[0].commit, style: refs[0].style };
    if (patchId) {
      const hits = this.index.byPatchId(branch, patchId);
      if (hits.length) return { via: 'patch-id', commit: hits[0] };
    }
    return null;
  }
}

export function describePresence(p: Presence, branch: string): string {
  switch (p.via) {
    case 'ancestry':
      return `${branch} (ancestry)`;
    case 'backport':
      return `${branch} (as ${p.commit.slice(0, 12)}, ${p.style} reference)`;
    case 'patch-id':
      return `${branch} (as ${p.commit.slice(0, 12)}, same patch-id)`;
  }
}
