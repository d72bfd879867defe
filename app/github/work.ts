/**
 * What the App's jobs do once off the webhook request: sync the clone, run the pipeline, publish. Each job kind
 * has a plain-JSON payload (persistable by a JobStore) and a runner here.
 */
import { join } from 'node:path';
import type { Probot } from 'probot';
import type { BackportReport } from '../core/backport.ts';
import { isStablebotError } from '../core/errors.ts';
import { assertBranchName, Git as GitRepo, type Git } from '../git/git.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { KeyedMutex } from '../jobs/lock.ts';
import type { Job } from '../jobs/types.ts';
import type { PipelineInput, PipelineOptions } from '../pipeline/backport.ts';
import type { Store } from '../store/types.ts';
import { pushedCommits, stableCandidates } from './candidates.ts';
import { cloneDir, syncClone } from './clone.ts';
import type { StablebotConfig } from './config.ts';
import {
  comment,
  findOrCreateTrackingIssue,
  listMarkedComments,
  type Octokit,
  readRepoFile,
  type Repo,
  upsertCheckRun,
  upsertComment,
} from './github-api.ts';
import { mailFromIssue } from './mail.ts';
import { candidateKey, publishReport } from './publish.ts';
import { type CandidateSource, readSummaryState, renderSummary, type SummaryState, upsertRow } from './summary.ts';
import { recordBackportOutcomes, replyOnThread, sweepRepository } from './sweep.ts';

/** The pipeline as the App uses it; injectable for tests. */
export interface Pipeline {
  backport(opts: PipelineOptions): Promise<BackportReport>;
  renderReport(report: BackportReport): string;
  renderBranchReport(report: BackportReport, branch: string): string;
}

export interface RepoInfo extends Repo {
  cloneUrl: string;
  installationId: number;
}

interface Base {
  repo: RepoInfo;
  config: StablebotConfig;
}
export interface BackportPayload extends Base {
  source: CandidateSource;
  input: PipelineInput;
  /** explicit branches; empty = the configured stable branches */
  branches: string[];
  /** the issue/PR for the summary; null = a tracking issue (candidates found on push) */
  issue: number | null;
  retryBranches?: string[];
}
export interface PushPayload extends Base {
  before: string;
  after: string;
  shas: string[];
}
export interface AnalyzePayload extends Base {
  sha: string;
  issue: number;
}
export interface SweepPayload extends Base {
  /** the thread `/backport sweep` was asked on; null for a scheduled sweep */
  issue: number | null;
}
export interface SkipPayload extends Base {
  issue: number;
  branch: string;
  reason: string;
  by: string;
}
export interface RetryPayload extends Base {
  issue: number;
  branch: string | null;
}

export interface WorkDeps {
  app: () => Probot;
  pipeline: () => Promise<Pipeline>;
  gitUrlFor?: (owner: string, repo: string, cloneUrl: string) => string;
  workdir: string;
  queue: () => JobQueue;
  mutex: KeyedMutex;
  /** the App's store (STABLEBOT_DATA_DIR): sweep cursors, candidates and backport outcomes; null = per clone */
  store?: Store | null;
}

async function session(deps: WorkDeps, repo: RepoInfo): Promise<{ octokit: Octokit; token: string | null; remoteUrl: string }> {
  const octokit = (await deps.app().auth(repo.installationId)) as Octokit;
  const auth = (await octokit.auth({ type: 'installation' })) as { token?: string };
  const remoteUrl = deps.gitUrlFor ? deps.gitUrlFor(repo.owner, repo.repo, repo.cloneUrl) : repo.cloneUrl;
  return { octokit, token: auth.token ?? null, remoteUrl };
}

async function clone(deps: WorkDeps, repo: RepoInfo, remoteUrl: string, token: string | null): Promise<Git> {
  return syncClone(cloneDir(deps.workdir, repo.owner, repo.repo), remoteUrl, token);
}

function pipelineOptions(git: Git, config: StablebotConfig, input: PipelineInput, branches: string[], dryRun: boolean): PipelineOptions {
  return {
    repoDir: git.dir,
    input,
    branches: branches.length > 0 ? branches : config.stableBranches,
    upstreamBranch: config.upstreamBranch,
    committer: config.committer,
    dryRun,
  };
}

async function runBackport(deps: WorkDeps, p: BackportPayload): Promise<SummaryState> {
  for (const b of p.branches) await assertBranchName(b);
  const { octokit, token, remoteUrl } = await session(deps, p.repo);
  const git = await clone(deps, p.repo, remoteUrl, token);
  const pipeline = await deps.pipeline();
  const reportOnly = p.config.policy === 'report-only';
  const report = await pipeline.backport(pipelineOptions(git, p.config, p.input, p.branches, reportOnly));
  if (p.config.verify && !reportOnly) {
    // builds and QEMU runs take minutes: this job is already off the webhook request, on the queue
    const { verifyReport } = await import('../pipeline/verify.ts');
    await verifyReport(report, { repoDir: git.dir, config: p.config.verify, cacheDir: join(deps.workdir, 'verify') });
  }
  const key = candidateKey(report);
  return deps.mutex.withLock(`${p.repo.owner}/${p.repo.repo}:${key}`, async () => {
    const issue =
      p.issue ??
      (await findOrCreateTrackingIssue(octokit, p.repo, `<!-- stablebot:candidate:${key} -->`, {
        title: `[stable] ${report.provenance.upstream.subject} (${key.slice(0, 12)})`,
        body: `Upstream commit ${key} is a stable candidate. stablebot publishes its backports and their status below.`,
        labels: [p.config.labels.backport],
      }));
    const state = await publishReport(
      { octokit, repo: p.repo, git, remoteUrl, token, config: p.config, issue, render: pipeline },
      report,
      p.source,
      { retryBranches: p.retryBranches },
    );
    return { ...state, branches: p.branches };
  });
}

async function runPush(deps: WorkDeps, p: PushPayload): Promise<{ candidates: string[] }> {
  const { token, remoteUrl } = await session(deps, p.repo);
  const git = await clone(deps, p.repo, remoteUrl, token);
  const shas = await pushedCommits(git, p.before, p.after, p.shas);
  const candidates = await stableCandidates(git, shas, p.config.stableBranches);
  for (const c of candidates) {
    deps.queue().enqueue<BackportPayload>({
      kind: 'backport',
      queueKey: `${p.repo.owner}/${p.repo.repo}`,
      dedupeKey: `backport:${p.repo.owner}/${p.repo.repo}:${c.sha}:tracking`,
      payload: { repo: p.repo, config: p.config, source: { kind: 'commit', sha: c.sha }, input: { kind: 'commit', rev: c.sha }, branches: [], issue: null },
    });
  }
  return { candidates: candidates.map((c) => c.sha) };
}

async function runAnalyze(deps: WorkDeps, p: AnalyzePayload): Promise<void> {
  const { octokit, token, remoteUrl } = await session(deps, p.repo);
  const git = await clone(deps, p.repo, remoteUrl, token);
  const pipeline = await deps.pipeline();
  const report = await pipeline.backport(pipelineOptions(git, p.config, { kind: 'commit', rev: p.sha }, [], true));
  const key = candidateKey(report);
  await upsertComment(octokit, p.repo, p.issue, `<!-- stablebot:analyze:${key} -->`, pipeline.renderReport(report));
}

async function runSweep(deps: WorkDeps, p: SweepPayload): Promise<{ candidates: number; enqueued: string[] }> {
  const { octokit, token, remoteUrl } = await session(deps, p.repo);
  const git = await clone(deps, p.repo, remoteUrl, token);
  const queueKey = `${p.repo.owner}/${p.repo.repo}`;
  const summary = await sweepRepository({
    octokit,
    repo: p.repo,
    config: p.config,
    git,
    store: deps.store ?? null,
    // the same job a push enqueues for a candidate, limited to the branches the sweep selected
    enqueueBackport: (sha, branches) =>
      deps.queue().enqueue<BackportPayload>({
        kind: 'backport',
        queueKey,
        dedupeKey: `backport:${queueKey}:${sha}:tracking`,
        payload: { repo: p.repo, config: p.config, source: { kind: 'commit', sha }, input: { kind: 'commit', rev: sha }, branches, issue: null },
      }),
  });
  if (p.issue !== null) await replyOnThread(octokit, p.repo, p.issue, summary);
  return { candidates: summary.result.candidates.length, enqueued: summary.enqueued };
}

const SUMMARY_RE = /<!-- stablebot:summary:/;

async function runSkip(deps: WorkDeps, p: SkipPayload): Promise<void> {
  const { octokit } = await session(deps, p.repo);
  const summaries = await listMarkedComments(octokit, p.repo, p.issue, SUMMARY_RE);
  const states = summaries.map((s) => ({ id: s.id, state: readSummaryState(s.body) })).filter((s) => s.state !== null);
  if (states.length === 0) {
    await comment(octokit, p.repo, p.issue, `@${p.by}: there is no stablebot summary on this thread, so there is nothing to skip.`);
    return;
  }
  for (const { id, state } of states) {
    const next = upsertRow(state!, { branch: p.branch, status: 'skipped', note: `by @${p.by}: ${p.reason}` });
    await upsertComment(octokit, p.repo, p.issue, `<!-- stablebot:summary:${state!.key} -->`, renderSummary(next), id);
  }
}

async function inputFor(octokit: Octokit, repo: Repo, source: CandidateSource): Promise<PipelineInput | null> {
  switch (source.kind) {
    case 'commit':
      return { kind: 'commit', rev: source.sha };
    case 'file': {
      const text = await readRepoFile(octokit, repo, source.path);
      return text === null ? null : { kind: 'mail', text };
    }
    case 'issue-body': {
      const { data } = await octokit.rest.issues.get({ ...repo, issue_number: source.issue });
      const text = mailFromIssue(data.title, data.body);
      return text === null ? null : { kind: 'mail', text };
    }
  }
}

async function runRetry(deps: WorkDeps, p: RetryPayload): Promise<void> {
  const { octokit } = await session(deps, p.repo);
  const summaries = await listMarkedComments(octokit, p.repo, p.issue, SUMMARY_RE);
  const states = summaries.map((s) => readSummaryState(s.body)).filter((s): s is SummaryState => s !== null);
  if (states.length === 0) {
    await comment(octokit, p.repo, p.issue, 'There is no stablebot summary on this thread to retry. Use `/backport <sha> [to] <branch>` first.');
    return;
  }
  for (const state of states) {
    const input = await inputFor(octokit, p.repo, state.source);
    if (!input) {
      await comment(octokit, p.repo, p.issue, `Cannot retry \`${state.key.slice(0, 12)}\`: its patch (${state.source.kind}) is no longer available.`);
      continue;
    }
    const branches = p.branch ? [p.branch] : (state.branches ?? []);
    await runBackport(deps, {
      repo: p.repo,
      config: p.config,
      source: state.source,
      input,
      branches,
      issue: p.issue,
      // a plain retry keeps what humans skipped; naming a branch un-skips it
      retryBranches: p.branch ? [p.branch] : [],
    });
  }
}

export function runJob(deps: WorkDeps): (job: Job) => Promise<unknown> {
  return async (job) => {
    switch (job.kind) {
      case 'backport': {
        const state = await runBackport(deps, job.payload as BackportPayload);
        // outcomes and PR links for the sweep's tracking tables
        if (deps.store) {
          const p = job.payload as BackportPayload;
          await recordBackportOutcomes(deps.store, new GitRepo(cloneDir(deps.workdir, p.repo.owner, p.repo.repo)), state);
        }
        return state;
      }
      case 'push':
        return runPush(deps, job.payload as PushPayload);
      case 'analyze':
        return runAnalyze(deps, job.payload as AnalyzePayload);
      case 'sweep':
        return runSweep(deps, job.payload as SweepPayload);
      case 'skip':
        return runSkip(deps, job.payload as SkipPayload);
      case 'retry':
        return runRetry(deps, job.payload as RetryPayload);
      default:
        throw new Error(`unknown job kind ${job.kind}`);
    }
  };
}

/** The clear error comment (or failed check run, when there is no thread) after a job finally failed. */
export function onJobFailed(deps: WorkDeps): (job: Job, error: Error) => Promise<void> {
  return async (job, error) => {
    const p = job.payload as Base & { issue?: number | null; after?: string };
    const { octokit } = await session(deps, p.repo);
    const why = isStablebotError(error) ? error.message : `${error.message.split('\n')[0]} (after ${job.attempts} attempts)`;
    const text = `❌ stablebot could not finish \`${job.kind}\`: ${why}`;
    if (typeof p.issue === 'number') {
      await comment(octokit, p.repo, p.issue, text);
    } else if (p.after && /^[0-9a-f]{40}$/.test(p.after)) {
      await upsertCheckRun(octokit, p.repo, p.after, 'stablebot', { conclusion: 'failure', title: `stablebot ${job.kind} failed`, summary: text });
    }
  };
}
