/**
 * A sweep: every upstream commit in `<cursor>..<upstream>` is classified once (tagged / AUTOSEL-style / excluded /
 * not a candidate) and the decision recorded in the store as it is made, so a killed sweep restarts where it
 * stopped, over the same range, without duplicate rows; the cursor moves only when the whole range is done.
 */
import { availableParallelism } from 'node:os';
import { StablebotError } from '../core/errors.ts';
import { compareVersions, seriesOfBranch } from '../core/version.ts';
import { assertBranchName, Git } from '../git/git.ts';
import { walkLog, type WalkedCommit } from '../index/logwalk.ts';
import { ReferenceIndex } from '../index/refindex.ts';
import { parseTrailers } from '../intake/trailers.ts';
import { selectBranches, sortBranches } from '../pipeline/branches.ts';
import { openDefaultStore, repoKeyOf } from '../store/sqlite.ts';
import type { OutcomeState, Store, SweepRun } from '../store/types.ts';
import { SweepBlame } from './blame.ts';
import { classifyCommit, SubjectCache, type ClassifyContext } from './classify.ts';
import { Containment } from './containment.ts';
import { matchMails, readAutoselMails } from './mails.ts';
import type { SweepOptions, SweepResult } from './types.ts';

export const DEFAULT_THRESHOLD = 6;
/** classifications in flight at once (each runs git: blame, rev-list); the machines here have two cores */
const SWEEP_CONCURRENCY = Math.max(1, Math.min(4, availableParallelism()));

/** abbreviated ids -> full commit ids (null when missing or ambiguous), in one `git cat-file --batch-check` */
async function resolveMany(git: Git, ids: string[]): Promise<Map<string, string | null>> {
  const unique = [...new Set(ids)].filter((s) => /^[0-9a-f]{7,40}$/.test(s));
  const out = new Map<string, string | null>();
  if (!unique.length) return out;
  const text = await git.out(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: unique.map((s) => `${s}^{commit}`).join('\n') + '\n' });
  const lines = text.split('\n');
  unique.forEach((s, i) => {
    const m = /^([0-9a-f]{40}) commit$/.exec(lines[i] ?? '');
    out.set(s, m ? m[1] : null);
  });
  return out;
}

/** the newest fork point of the configured branches: where a first sweep starts */
async function defaultSince(git: Git, branches: string[], upstream: string): Promise<string | null> {
  for (const b of sortBranches(branches)) {
    const r = await git.run(['merge-base', b, upstream], { allowFail: true });
    if (r.code === 0) return r.stdout.trim();
  }
  return null;
}

async function branchesFrom(git: Git, configured: string[]): Promise<string[]> {
  const series = configured.map(seriesOfBranch).filter((s): s is string => !!s).sort(compareVersions);
  const all = await selectBranches(git, ['linux-*.y']).catch(() => [] as string[]);
  const oldest = series[0];
  const newer = oldest ? all.filter((b) => { const s = seriesOfBranch(b); return !!s && compareVersions(s, oldest) >= 0; }) : [];
  return sortBranches([...new Set([...configured, ...newer])]);
}

export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const git = new Git(opts.repoDir);
  await git.assertRepository();
  const upstream = await assertBranchName(opts.upstream ?? 'master');
  const to = await git.resolveCommit(upstream);
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold)) throw new StablebotError('bad-input', `not a number: threshold ${opts.threshold}`);
  const mails = readAutoselMails(opts.mboxFiles ?? []);
  const store = opts.store ?? (await openDefaultStore(git));
  const repo = await repoKeyOf(git);
  let index: ReferenceIndex | null = null;
  try {
    const requested = opts.branches?.length ? await selectBranches(git, opts.branches) : null;
    const since = opts.since ? await git.resolveCommit(opts.since) : null;

    // an interrupted sweep of the same range is finished first
    let run: SweepRun | null = await store.openSweep(repo, upstream);
    if (run && ((since && since !== run.fromSha) || (requested && requested.join(',') !== run.branches.join(',')))) run = null;
    const resumed = run !== null;
    if (!run) {
      const configured = requested ?? (await selectBranches(git, undefined));
      const from = since ?? (await store.getCursor(repo, upstream)) ?? (await defaultSince(git, configured, upstream));
      run = await store.startSweep({ repo, upstream, fromSha: from, toSha: to, branches: configured });
    }
    const configured = run.branches;
    for (const b of configured) await git.resolveCommit(b);
    const considered = await branchesFrom(git, configured);

    index = await ReferenceIndex.forRepo(git, { store, upstreamBranch: upstream });
    for (const b of considered) await index.update(b);

    const commits: WalkedCommit[] = [];
    const patchIds = await walkLog(git, [run.toSha, ...(run.fromSha ? [`^${run.fromSha}`] : [])], {
      withDiff: true,
      patchIds: true,
      reverse: true,
      // parents before children: the in-memory blame replay (./blame.ts) relies on it
      topoOrder: true,
      onCommit: (c) => commits.push(c),
    });
    const done = await store.processed(run.id);

    const abbreviated: string[] = [];
    for (const c of commits) {
      for (const f of parseTrailers(c.message).fixes) abbreviated.push(f.sha);
      const rev = /This reverts commit ([0-9a-f]{12,40})/.exec(c.message)?.[1];
      if (rev) abbreviated.push(rev);
    }
    const subjects = new SubjectCache(git);
    for (const c of commits) subjects.set(c.sha, c.message.split('\n')[0] ?? '');
    const { matches, unmatched } = matchMails(mails, commits.map((c) => ({ sha: c.sha, subject: c.message.split('\n')[0] ?? '' })));
    const outcomes = new Map<string, OutcomeState>();
    for (const o of await store.outcomes(repo)) outcomes.set(`${o.sha} ${o.branch}`, o.outcome);

    const containment = await Containment.build(git, index, upstream, considered);
    const ctx: ClassifyContext = {
      git,
      repo,
      sweepId: run.id,
      containment,
      blame: new SweepBlame(git, { newest: containment.newest, oldest: containment.base }, commits),
      configured,
      considered,
      threshold,
      resolved: await resolveMany(git, abbreviated),
      mails: matches,
      outcomes,
      subjects,
    };

    // two git processes at a time (blame dominates): each decision is recorded as soon as it is made, so the order
    // of recording does not matter for a restart, and the result is sorted back into upstream order below
    const todo = commits.filter((c) => !done.has(c.sha));
    let n = commits.length - todo.length;
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const c = todo[next++];
        const decision = await classifyCommit(ctx, c, patchIds.get(c.sha) ?? null);
        await store.recordDecision(run!.id, repo, c.sha, decision);
        opts.onProgress?.({ done: ++n, total: commits.length, sha: c.sha, subject: c.message.split('\n')[0] ?? '' });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(SWEEP_CONCURRENCY, todo.length)) }, worker));
    await store.finishSweep(run.id);

    const order = new Map(commits.map((c, i) => [c.sha, i]));
    const candidates = (await store.candidatesOfSweep(run.id)).sort((a, b) => (order.get(a.sha) ?? 0) - (order.get(b.sha) ?? 0));
    const shas = new Set(candidates.map((c) => c.sha));
    return {
      repo,
      upstream,
      from: run.fromSha,
      to: run.toSha,
      branches: configured,
      sweepId: run.id,
      resumed,
      considered: commits.length,
      candidates,
      outcomes: (await store.outcomes(repo)).filter((o) => shas.has(o.sha)),
      unmatchedMails: unmatched.map((m) => m.rawSubject),
      blame: { ...ctx.blame.stats },
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    index?.close();
    if (!opts.store) store.close();
  }
}
