/**
 * Publishing one candidate's BackportReport: per branch a pushed stablebot/<branch>/<sha12> branch, a PR against
 * the stable branch, labels and a `stablebot/verify` check run; and ONE summary comment on the triggering
 * issue/PR, edited in place as each branch is done.
 */
import { createHash } from 'node:crypto';
import type { BackportReport, BranchResult } from '../core/backport.ts';
import type { Git } from '../git/git.ts';
import { conflictMarkers, pushBranch } from './clone.ts';
import type { StablebotConfig } from './config.ts';
import {
  addLabels,
  createPull,
  findMarkedComment,
  findPullForBranch,
  type Conclusion,
  type Octokit,
  type Repo,
  updatePull,
  upsertCheckRun,
  upsertComment,
} from './github-api.ts';
import {
  type CandidateSource,
  needsHumanDetails,
  readSummaryState,
  renderSummary,
  summaryMarker,
  type SummaryRow,
  type SummaryState,
  upsertRow,
} from './summary.ts';

export const CHECK_NAME = 'stablebot/verify';

export interface Renderers {
  renderBranchReport(report: BackportReport, branch: string): string;
}

export interface PublishTarget {
  octokit: Octokit;
  repo: Repo;
  git: Git;
  remoteUrl: string;
  token: string | null;
  config: StablebotConfig;
  /** the issue or PR carrying the summary comment */
  issue: number;
  render: Renderers;
}

/** The candidate's identity: its upstream sha, or a stable hash of the mail's subject when the sha is unknown. */
export function candidateKey(report: BackportReport): string {
  const sha = report.provenance.upstream.sha;
  if (sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
  return `mail-${createHash('sha256').update(report.provenance.upstream.subject).digest('hex').slice(0, 12)}`;
}

/** `[6.18.y] subject` for linux-6.18.y; the branch name itself for other naming schemes. */
export function pullTitle(branch: string, subject: string): string {
  const m = /^linux-(\d+\.\d+)\.y$/.exec(branch);
  return `[${m ? `${m[1]}.y` : branch}] ${subject}`;
}

export function backportBranchName(branch: string, key: string): string {
  return `stablebot/${branch}/${key.slice(0, 12)}`;
}

function verdictNote(report: BackportReport, branch: string): string | undefined {
  return report.provenance.branches.find((b) => b.branch === branch)?.summary;
}

export function checkConclusion(result: BranchResult): { conclusion: Conclusion; title: string } {
  if (result.verification?.blocking) return { conclusion: 'failure', title: result.verification.conclusion };
  if (result.outcome === 'clean') return { conclusion: 'success', title: `applies cleanly (${result.method ?? 'cherry-pick'})` };
  if (result.outcome === 'adapted') {
    return { conclusion: 'neutral', title: `adapted by ${result.rules.join(', ') || 'rules'}: review the interdiff` };
  }
  return { conclusion: 'failure', title: result.outcome };
}

/** Publish one branch; returns its summary row. Never throws for a branch-level refusal, only for API/git errors. */
async function publishBranch(t: PublishTarget, report: BackportReport, result: BranchResult, key: string): Promise<SummaryRow> {
  const { branch } = result;
  switch (result.outcome) {
    case 'not-affected':
    case 'already-fixed':
      return { branch, status: result.outcome, note: verdictNote(report, branch) };
    case 'needs-human':
      return { branch, status: 'needs-human', note: result.failure?.reason, details: needsHumanDetails(result) };
    default:
      break;
  }
  if (t.config.policy === 'report-only') return { branch, status: 'held', note: `${result.outcome}; policy report-only: nothing pushed` };
  if (t.config.policy === 'clean-only' && result.outcome === 'adapted') {
    return { branch, status: 'held', note: 'adapted; policy clean-only: not published' };
  }
  if (!result.commit || !/^[0-9a-f]{40}$/.test(result.commit)) {
    return { branch, status: 'error', note: 'the pipeline made no commit for this branch' };
  }
  const head = result.backportBranch ?? backportBranchName(branch, key);
  const markers = await conflictMarkers(t.git, `${result.commit}^`, result.commit);
  if (markers.length > 0) {
    return {
      branch,
      status: 'needs-human',
      note: 'the backport diff contains conflict markers; not published',
      details: ['Lines with conflict markers:', '', '```', ...markers.slice(0, 20), '```'].join('\n'),
    };
  }
  const existing = await findPullForBranch(t.octokit, t.repo, head);
  if (existing?.merged) return { branch, status: result.outcome, pr: existing, note: 'merged' };
  if (existing && existing.state === 'closed') {
    return { branch, status: 'held', pr: existing, note: 'the PR was closed by a human; reopen it to publish again' };
  }
  await pushBranch(t.git, t.remoteUrl, t.token, result.commit, head);
  const title = pullTitle(branch, report.provenance.upstream.subject);
  const body = `${t.render.renderBranchReport(report, branch)}\n\n<!-- stablebot:pr:${key}:${branch} -->`;
  const pr = existing ?? (await createPull(t.octokit, t.repo, { head, base: branch, title, body }));
  if (existing) await updatePull(t.octokit, t.repo, existing.number, { title, body });
  const labels = [t.config.labels.backport, ...(result.outcome === 'adapted' ? [t.config.labels.adapted] : [])];
  await addLabels(t.octokit, t.repo, pr.number, labels);
  const check = checkConclusion(result);
  await upsertCheckRun(t.octokit, t.repo, result.commit, CHECK_NAME, {
    ...check,
    summary: result.outcome === 'adapted' ? result.adaptations.map((a) => `- ${a.note}`).join('\n') || check.title : check.title,
    text:
      [result.interdiff ? `Interdiff against upstream:\n\n\`\`\`diff\n${result.interdiff}\n\`\`\`` : '', result.verification?.markdown ?? '']
        .filter(Boolean)
        .join('\n\n') || undefined,
  });
  return { branch, status: result.outcome, pr: { number: pr.number, url: pr.url }, note: result.rules.length ? result.rules.join(', ') : undefined };
}

/**
 * Publish every branch of a report. Branches a human skipped (`/backport skip`) stay skipped unless `retryBranches`
 * names them. Returns the final summary state.
 */
export async function publishReport(
  t: PublishTarget,
  report: BackportReport,
  source: CandidateSource,
  opts: { retryBranches?: string[] } = {},
): Promise<SummaryState> {
  const key = candidateKey(report);
  const marker = summaryMarker(key);
  const found = await findMarkedComment(t.octokit, t.repo, t.issue, marker);
  const previous = found ? readSummaryState(found.body) : null;
  const skipped = new Map(
    (previous?.rows ?? []).filter((r) => r.status === 'skipped' && !opts.retryBranches?.includes(r.branch)).map((r) => [r.branch, r]),
  );
  let state: SummaryState = {
    key,
    subject: report.provenance.upstream.subject,
    source,
    rows: report.results.map((r) => skipped.get(r.branch) ?? { branch: r.branch, status: 'pending' as const }),
  };
  // keep rows of branches this run did not cover (a retry of one branch leaves the others as they were)
  for (const row of previous?.rows ?? []) if (!state.rows.some((r) => r.branch === row.branch)) state.rows.push(row);
  const commentId = await upsertComment(t.octokit, t.repo, t.issue, marker, renderSummary(state), found?.id);
  for (const result of report.results) {
    if (skipped.has(result.branch)) continue;
    let row: SummaryRow;
    try {
      row = await publishBranch(t, report, result, key);
    } catch (e) {
      // record the failure in the summary, then let the job retry (every step above is idempotent)
      state = upsertRow(state, { branch: result.branch, status: 'error', note: e instanceof Error ? e.message.split('\n')[0] : String(e) });
      await upsertComment(t.octokit, t.repo, t.issue, marker, renderSummary(state), commentId);
      throw e;
    }
    state = upsertRow(state, row);
    await upsertComment(t.octokit, t.repo, t.issue, marker, renderSummary(state), commentId);
  }
  if (state.rows.some((r) => r.status === 'needs-human')) await addLabels(t.octokit, t.repo, t.issue, [t.config.labels.needsHuman]);
  return state;
}
