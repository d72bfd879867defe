/**
 * Sweeps for the App: `/backport sweep` by a maintainer, or the STABLEBOT_SWEEP_CRON schedule, runs the same
 * `runSweep` as the CLI over the repository's local clone, with its cursor in the App's store; the result goes to
 * ONE tracking issue per stable branch ("stablebot: candidates for linux-6.18.y"), found again by a hidden marker
 * and edited in place, and every selected candidate is enqueued as a backport job, as a push does.
 */
import { join, resolve } from 'node:path';
import type { Git } from '../git/git.ts';
import { openDefaultStore, SqliteStore, repoKeyOf } from '../store/sqlite.ts';
import type { BranchOutcome, OutcomeState, Store } from '../store/types.ts';
import { renderTrackingTable } from '../sweep/render.ts';
import { runSweepExclusive, startCron, type CronJob } from '../sweep/schedule.ts';
import type { SweepResult } from '../sweep/types.ts';
import { fitBody, type Octokit, type Repo, upsertComment } from './github-api.ts';
import type { StablebotConfig } from './config.ts';
import type { SummaryState } from './summary.ts';

/** The App's state (sweep cursors, candidates, outcomes, and the job queue) lives here when set. */
export function appDataDir(explicit?: string): string | null {
  const dir = explicit ?? process.env.STABLEBOT_DATA_DIR;
  return dir ? resolve(dir) : null;
}

export function openAppStore(dataDir: string): SqliteStore {
  return new SqliteStore(join(dataDir, 'state.sqlite'));
}

export const trackingMarker = (branch: string) => `<!-- stablebot:sweep-tracking:${branch} -->`;
export const trackingTitle = (branch: string) => `stablebot: candidates for ${branch}`;

/** Creates the branch's tracking issue, or edits its body in place (no call when nothing changed). */
export async function upsertTrackingIssue(octokit: Octokit, repo: Repo, branch: string, table: string, label: string): Promise<{ number: number; created: boolean }> {
  const marker = trackingMarker(branch);
  const body = fitBody(`${marker}\n${table}`);
  const only = { owner: repo.owner, repo: repo.repo };
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { ...only, state: 'all', labels: label, per_page: 100 });
  const found = issues.find((i) => !i.pull_request && (i.body ?? '').includes(marker));
  if (found) {
    if (found.body !== body) await octokit.rest.issues.update({ ...only, issue_number: found.number, body });
    return { number: found.number, created: false };
  }
  const { data } = await octokit.rest.issues.create({ ...only, title: trackingTitle(branch), body, labels: [label] });
  return { number: data.number, created: true };
}

/** What a sweep job needs from the App (kept narrow so work.ts stays the only place that knows the queue). */
export interface SweepJobContext {
  octokit: Octokit;
  repo: Repo;
  config: StablebotConfig;
  git: Git;
  /** the App's store (STABLEBOT_DATA_DIR); null: the clone's own `<git-dir>/stablebot/state.sqlite` */
  store: Store | null;
  /** enqueue a backport of `sha` to `branches` (the same job a push enqueues) */
  enqueueBackport(sha: string, branches: string[]): void;
}

export interface AppSweepSummary {
  result: SweepResult;
  /** branch -> tracking issue number */
  issues: Record<string, number>;
  /** candidates enqueued for backport */
  enqueued: string[];
  /** true when the request joined a sweep of this repository that was already running */
  joined: boolean;
}

/** One sweep of a repository, its tracking issues, and its backport jobs. */
export async function sweepRepository(ctx: SweepJobContext): Promise<AppSweepSummary> {
  const store = ctx.store ?? (await openDefaultStore(ctx.git));
  try {
    return await sweepWith(ctx, store);
  } finally {
    if (!ctx.store) store.close();
  }
}

async function sweepWith(ctx: SweepJobContext, store: Store): Promise<AppSweepSummary> {
  const { result, joined } = runSweepExclusive({
    repoDir: ctx.git.dir,
    upstream: ctx.config.upstreamBranch,
    branches: ctx.config.stableBranches,
    store,
  });
  const r = await result;
  // the tracking tables list every candidate found so far, this sweep's first, with the outcomes known now
  const here = new Set(r.candidates.map((c) => c.sha));
  const earlier = (await store.listCandidates(r.repo)).filter((c) => !here.has(c.sha));
  const all = [...r.candidates, ...earlier];
  const shas = new Set(all.map((c) => c.sha));
  const view: SweepResult = { ...r, candidates: all, outcomes: (await store.outcomes(r.repo)).filter((o) => shas.has(o.sha)) };
  const issues: Record<string, number> = {};
  for (const branch of r.branches) {
    issues[branch] = (await upsertTrackingIssue(ctx.octokit, ctx.repo, branch, renderTrackingTable(view, branch), ctx.config.labels.backport)).number;
  }
  const enqueued: string[] = [];
  if (!joined) {
    const done = new Set(r.outcomes.filter((o) => o.outcome !== 'pending' && o.outcome !== 'failed').map((o) => `${o.sha} ${o.branch}`));
    for (const c of r.candidates) {
      if (c.class === 'excluded') continue;
      const targets = c.branches.filter((b) => b.selection === 'target' && !done.has(`${c.sha} ${b.branch}`)).map((b) => b.branch);
      if (!targets.length) continue;
      ctx.enqueueBackport(c.sha, targets);
      enqueued.push(c.sha);
    }
  }
  return { result: r, issues, enqueued, joined };
}

/** The reply on the thread where `/backport sweep` was asked. */
export async function replyOnThread(octokit: Octokit, repo: Repo, issue: number, s: AppSweepSummary): Promise<void> {
  const r = s.result;
  const by = (cls: string) => r.candidates.filter((c) => c.class === cls).length;
  const lines = [
    `### stablebot sweep of \`${r.upstream}\` ${r.from ? `\`${r.from.slice(0, 12)}\`` : '(root)'}..\`${r.to.slice(0, 12)}\``,
    '',
    `${r.considered} commits: ${by('tagged')} tagged, ${by('autosel')} AUTOSEL-style, ${by('excluded')} excluded` +
      `${s.joined ? ' (a sweep of this repository was already running; these are its results)' : ''}.`,
    `${s.enqueued.length} candidate${s.enqueued.length === 1 ? '' : 's'} queued for backport.`,
    '',
    ...Object.entries(s.issues).map(([b, n]) => `- ${b}: #${n}`),
  ];
  await upsertComment(octokit, repo, issue, '<!-- stablebot:sweep -->', lines.join('\n'));
}

const OUTCOME_OF: Record<string, OutcomeState> = {
  pending: 'pending',
  held: 'pending',
  clean: 'clean',
  adapted: 'adapted',
  'needs-human': 'needs-human',
  error: 'failed',
  skipped: 'skipped',
  'already-fixed': 'skipped',
  'not-affected': 'skipped',
};

/** A finished backport job's rows, as the per-branch outcomes the next tracking table shows (PR links included). */
export async function recordBackportOutcomes(store: Store, git: Git, state: SummaryState): Promise<BranchOutcome[]> {
  if (!/^[0-9a-f]{40}$/.test(state.key)) return [];
  const repo = await repoKeyOf(git);
  const out: BranchOutcome[] = [];
  for (const row of state.rows) {
    const o: BranchOutcome = {
      repo,
      sha: state.key,
      branch: row.branch,
      outcome: OUTCOME_OF[row.status] ?? 'pending',
      ...(row.note || row.status === 'already-fixed' || row.status === 'not-affected' ? { detail: row.note ?? row.status } : {}),
      ...(row.pr ? { prNumber: row.pr.number, prUrl: row.pr.url } : {}),
    };
    await store.setOutcome(o);
    out.push(o);
  }
  return out;
}

/** The schedule: off unless STABLEBOT_SWEEP_CRON (or `cron`) is set; each tick enqueues one sweep per repository. */
export function scheduleAppSweeps(tick: () => Promise<void>, cron?: string): CronJob | null {
  return startCron(cron ?? process.env.STABLEBOT_SWEEP_CRON, tick);
}
