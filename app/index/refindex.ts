/**
 * The backport-reference index: for each stable branch, which of its own commits name an upstream commit
 * (`commit <sha> upstream.`, `[ Upstream commit <sha> ]`, `(cherry picked from commit <sha>)`, or the CVE team's
 * "first full SHA on the first line containing upstream") and which patch-id each carries. Built with one log walk
 * per branch, kept in the Store, updated incrementally from the last indexed tip, answered from memory.
 */
import type { ReferenceStyle } from '../core/candidate.ts';
import { isFullSha, type Git } from '../git/git.ts';
import { findUpstreamReference } from '../intake/trailers.ts';
import { KeyedMutex } from '../jobs/lock.ts';
import type { ReferenceLookup } from '../provenance/lookup.ts';
import { openDefaultStore, repoKeyOf } from '../store/sqlite.ts';
import type { PatchIdEntry, RefEntry, Store } from '../store/types.ts';
import { walkLog } from './logwalk.ts';

export { patchIdOf } from './logwalk.ts';

interface BranchMaps {
  refs: Map<string, { commit: string; style: ReferenceStyle }[]>;
  pids: Map<string, string[]>;
}

export interface IndexUpdate {
  branch: string;
  /** commits walked by this update */
  added: number;
  /** true when the whole branch was walked (first build, branch rewritten, upstream mode changed) */
  rebuilt: boolean;
  ms: number;
}

function push<T>(map: Map<string, T[]>, key: string, value: T, same: (a: T) => boolean): void {
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (!list.some(same)) list.push(value);
}

export class ReferenceIndex implements ReferenceLookup {
  private readonly maps = new Map<string, BranchMaps>();
  private readonly lock = new KeyedMutex();

  private constructor(
    private readonly git: Git,
    readonly store: Store,
    private readonly ownsStore: boolean,
    readonly repo: string,
    readonly upstreamBranch: string,
  ) {}

  /**
   * Opens the index of a repository (default store: `<git-dir>/stablebot/state.sqlite`, or STABLEBOT_DATA_DIR) and
   * loads what earlier runs indexed. Call update(branch) before asking about a branch.
   */
  static async forRepo(git: Git, opts: { store?: Store; upstreamBranch?: string } = {}): Promise<ReferenceIndex> {
    await git.assertRepository();
    const repo = await repoKeyOf(git);
    const store = opts.store ?? (await openDefaultStore(git));
    const index = new ReferenceIndex(git, store, !opts.store, repo, opts.upstreamBranch ?? 'master');
    for (const st of await store.indexedBranches(repo)) await index.load(st.branch);
    return index;
  }

  private async load(branch: string): Promise<BranchMaps> {
    const { refs, patchIds } = await this.store.loadIndex(this.repo, branch);
    const maps: BranchMaps = { refs: new Map(), pids: new Map() };
    this.addToMaps(maps, refs, patchIds);
    this.maps.set(branch, maps);
    return maps;
  }

  private addToMaps(maps: BranchMaps, refs: RefEntry[], patchIds: PatchIdEntry[]): void {
    for (const r of refs) push(maps.refs, r.upstream, { commit: r.commit, style: r.style }, (x) => x.commit === r.commit);
    for (const p of patchIds) push(maps.pids, p.patchId, p.commit, (x) => x === p.commit);
  }

  /** ReferenceLookup: make the branch's entries current. */
  async prepare(branch: string): Promise<void> {
    await this.update(branch);
  }

  /**
   * Brings the branch's entries up to its tip: only `<last-tip>..<branch>` (minus upstream) when the last indexed tip
   * is still an ancestor, the whole branch again when it was rewritten.
   */
  async update(branch: string): Promise<IndexUpdate> {
    return this.lock.withLock(branch, async () => {
      const t0 = performance.now();
      const tip = await this.git.resolveCommit(branch);
      const upstream = (await this.git.tryResolve(this.upstreamBranch)) ? this.upstreamBranch : null;
      const state = await this.store.indexState(this.repo, branch);
      const sameMode = state !== null && state.upstream === upstream;
      if (sameMode && state.tip === tip) {
        if (!this.maps.has(branch)) await this.load(branch);
        return { branch, added: 0, rebuilt: false, ms: performance.now() - t0 };
      }
      const incremental = sameMode && (await this.git.isAncestor(state.tip, tip));
      // mirrors without an upstream branch: every commit of the branch is its own history
      const revArgs = [tip, ...(upstream ? [`^${upstream}`] : []), ...(incremental ? [`^${state!.tip}`] : [])];
      const refs: RefEntry[] = [];
      let walked = 0;
      const ids = await walkLog(this.git, revArgs, {
        patchIds: true,
        onCommit: (c) => {
          walked++;
          const ref = findUpstreamReference(c.message);
          if (ref && isFullSha(ref.sha) && ref.sha !== c.sha) refs.push({ upstream: ref.sha, commit: c.sha, style: ref.style });
        },
      });
      const patchIds: PatchIdEntry[] = [...ids].map(([commit, patchId]) => ({ patchId, commit }));
      await this.store.writeIndex({ repo: this.repo, branch, tip, upstream }, refs, patchIds, !incremental);
      const loaded = this.maps.get(branch);
      if (incremental && loaded) this.addToMaps(loaded, refs, patchIds);
      else if (incremental) await this.load(branch); // the store already holds the new entries
      else {
        const fresh: BranchMaps = { refs: new Map(), pids: new Map() };
        this.addToMaps(fresh, refs, patchIds);
        this.maps.set(branch, fresh);
      }
      return { branch, added: walked, rebuilt: !incremental, ms: performance.now() - t0 };
    });
  }

  /** Commits of the branch that name `upstreamSha40` in a reference line. */
  byUpstream(branch: string, upstreamSha40: string): { commit: string; style: ReferenceStyle }[] {
    return [...(this.maps.get(branch)?.refs.get(upstreamSha40.toLowerCase()) ?? [])];
  }

  /** Commits of the branch whose `git patch-id --stable` is `patchId`. */
  byPatchId(branch: string, patchId: string): string[] {
    return [...(this.maps.get(branch)?.pids.get(patchId) ?? [])];
  }

  /** branches this index holds entries for */
  branches(): string[] {
    return [...this.maps.keys()].sort();
  }

  close(): void {
    if (this.ownsStore) this.store.close();
  }
}
