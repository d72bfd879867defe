/**
 * The probot App: webhook handlers that check, parse and enqueue; the work itself runs on the job queue
 * (GitHub gives a webhook 10 s, a backport takes longer).
 */
import type { Context, Probot } from 'probot';
import { isStablebotError } from '../core/errors.ts';
import { assertBranchName } from '../git/git.ts';
import { RecentIds, KeyedMutex } from '../jobs/lock.ts';
import { JobQueue } from '../jobs/queue.ts';
import type { JobSpec, JobStore } from '../jobs/types.ts';
import { mayBeCandidate } from './candidates.ts';
import { workdirRoot } from './clone.ts';
import { HELP_TEXT, newCommandLines, parseCommands, type Command, type ParsedLine } from './commands.ts';
import { loadConfig, type StablebotConfig } from './config.ts';
import { comment, type Octokit, permissionOf, readRepoFile, type Repo, upsertCheckRun, upsertComment } from './github-api.ts';
import { mailFromIssue } from './mail.ts';
import { appDataDir, openAppStore, scheduleAppSweeps } from './sweep.ts';
import type { CronJob } from '../sweep/schedule.ts';
import {
  type AnalyzePayload,
  type BackportPayload,
  onJobFailed,
  type Pipeline,
  type PushPayload,
  type RepoInfo,
  type RetryPayload,
  runJob,
  type SkipPayload,
  type SweepPayload,
} from './work.ts';

export interface AppOptions {
  /** the backport pipeline (default: app/pipeline/backport.ts) */
  pipeline?: Pipeline;
  /** where to fetch from and push to; default the payload's clone_url. Tests point it at a local bare repository. */
  gitUrlFor?: (owner: string, repo: string, cloneUrl: string) => string;
  /** root of the per-repository clones (default $STABLEBOT_WORKDIR or ~/.cache/stablebot/repos) */
  workdir?: string;
  queue?: { maxAttempts?: number; baseDelayMs?: number; store?: JobStore };
  /** the App's own login (`<slug>[bot]`), whose comments are never commands */
  botLogin?: string;
  /** where the App keeps its state (default $STABLEBOT_DATA_DIR; unset: job queue in memory, sweep state per clone) */
  dataDir?: string;
  /** cron expression for scheduled sweeps (default $STABLEBOT_SWEEP_CRON; unset: no schedule) */
  sweepCron?: string;
}

export type StablebotApp = ((app: Probot) => void) & {
  queue: JobQueue;
  /** the scheduled sweeps, once the App is loaded (null: no STABLEBOT_SWEEP_CRON) */
  sweepSchedule(): CronJob | null;
  /** stops the schedule and closes the store */
  close(): void;
};

const CONFIG_ERROR_MARKER = '<!-- stablebot:config-error -->';

type CommentContext = Context<'issue_comment.created' | 'issue_comment.edited'>;
type IssueContext = Context<'issues.opened' | 'issues.edited'>;

function isBot(user: { login: string; type?: string } | null | undefined, botLogin?: string): boolean {
  if (!user) return true;
  return user.type === 'Bot' || user.login.endsWith('[bot]') || (botLogin !== undefined && user.login === botLogin);
}

export function createApp(opts: AppOptions = {}): StablebotApp {
  let probot: Probot | null = null;
  let schedule: CronJob | null = null;
  const dataDir = appDataDir(opts.dataDir);
  const store = dataDir ? openAppStore(dataDir) : null;
  const deliveries = new RecentIds();
  const deps = {
    app: () => {
      if (!probot) throw new Error('the App is not loaded yet');
      return probot;
    },
    // the real pipeline is loaded on first use: the webhook side never pays for (or breaks on) its imports
    pipeline: opts.pipeline ? async () => opts.pipeline! : async () => (await import('../pipeline/backport.ts')) as Pipeline,
    gitUrlFor: opts.gitUrlFor,
    workdir: workdirRoot(opts.workdir),
    queue: () => queue,
    mutex: new KeyedMutex(),
    store,
  };
  const queue: JobQueue = new JobQueue({
    run: runJob(deps),
    onFailed: onJobFailed(deps),
    // with a data directory, queued jobs survive a restart (resumed when the App loads)
    store: opts.queue?.store ?? store ?? undefined,
    maxAttempts: opts.queue?.maxAttempts,
    baseDelayMs: opts.queue?.baseDelayMs,
    log: {
      info: (o, m) => probot?.log.info(o, m),
      warn: (o, m) => probot?.log.warn(o, m),
      error: (o, m) => probot?.log.error(o, m),
    },
  });
  const botLogin = opts.botLogin ?? process.env.STABLEBOT_BOT_LOGIN;

  /** false for a delivery already handled (GitHub redelivers with the same id). */
  const firstDelivery = (context: Context): boolean => {
    if (deliveries.add(context.id)) return true;
    context.log.info({ delivery: context.id }, 'duplicate delivery ignored');
    return false;
  };

  const repoInfo = (context: Context<'push' | 'issue_comment' | 'issues'>): RepoInfo | null => {
    const p = context.payload;
    if (!p.installation) return null;
    return { owner: p.repository.owner?.login ?? p.repository.full_name.split('/')[0], repo: p.repository.name, cloneUrl: p.repository.clone_url, installationId: p.installation.id };
  };

  const enqueue = <P>(spec: JobSpec<P>) => queue.enqueue(spec);

  async function configOrComplain(octokit: Octokit, source: Context, repo: Repo, issue: number): Promise<StablebotConfig | null> {
    const loaded = await loadConfig(source);
    if (loaded.ok) return loaded.config;
    await upsertComment(octokit, repo, issue, CONFIG_ERROR_MARKER, `⚠️ stablebot cannot run here: ${loaded.error}\n\nFix the file on the default branch and try again.`);
    return null;
  }

  async function onPush(context: Context<'push'>): Promise<void> {
    const p = context.payload;
    if (!p.ref.startsWith('refs/heads/') || p.deleted || !firstDelivery(context)) return;
    const repo = repoInfo(context);
    if (!repo) return;
    // cheap pre-filter on the payload's messages: most pushes carry no candidate and cost no API call
    if (!p.commits.some((c) => mayBeCandidate(c.message)) && p.commits.length < 2048) return;
    const loaded = await loadConfig(context);
    if (!loaded.ok) {
      await upsertCheckRun(context.octokit, repo, p.after, 'stablebot/config', { conclusion: 'failure', title: 'invalid .github/stablebot.yml', summary: loaded.error });
      return;
    }
    if (p.ref !== `refs/heads/${loaded.config.upstreamBranch}`) return;
    enqueue<PushPayload>({
      kind: 'push',
      queueKey: `${repo.owner}/${repo.repo}`,
      dedupeKey: `push:${repo.owner}/${repo.repo}:${p.before}..${p.after}`,
      payload: { repo, config: loaded.config, before: p.before, after: p.after, shas: p.commits.map((c) => c.id) },
    });
  }

  async function runCommand(context: CommentContext, repo: RepoInfo, config: StablebotConfig, command: Command): Promise<string | null> {
    const issue = context.payload.issue;
    const base = { repo, config };
    const queueKey = `${repo.owner}/${repo.repo}`;
    switch (command.type) {
      case 'help':
        await comment(context.octokit, repo, issue.number, HELP_TEXT);
        return null;
      case 'analyze':
        enqueue<AnalyzePayload>({ kind: 'analyze', queueKey, dedupeKey: `analyze:${queueKey}:${command.sha}:${issue.number}`, payload: { ...base, sha: command.sha, issue: issue.number } });
        return null;
      case 'sweep':
        enqueue<SweepPayload>({ kind: 'sweep', queueKey, dedupeKey: `sweep:${queueKey}:${issue.number}`, payload: { ...base, issue: issue.number } });
        return null;
      case 'skip':
        await assertBranchName(command.branch);
        enqueue<SkipPayload>({ kind: 'skip', queueKey, payload: { ...base, issue: issue.number, branch: command.branch, reason: command.reason, by: context.payload.sender.login } });
        return null;
      case 'retry':
        if (command.branch) await assertBranchName(command.branch);
        enqueue<RetryPayload>({ kind: 'retry', queueKey, dedupeKey: `retry:${queueKey}:${issue.number}:${command.branch ?? '*'}`, payload: { ...base, issue: issue.number, branch: command.branch } });
        return null;
      case 'backport': {
        for (const b of command.branches) await assertBranchName(b);
        let payload: BackportPayload;
        const common = { ...base, branches: command.branches, issue: issue.number };
        if (command.target.kind === 'sha') {
          payload = { ...common, source: { kind: 'commit', sha: command.target.sha }, input: { kind: 'commit', rev: command.target.sha } };
        } else if (command.target.kind === 'file') {
          const text = await readRepoFile(context.octokit, repo, command.target.path);
          if (text === null) return `\`${command.target.path}\`: no such file in this repository`;
          payload = { ...common, source: { kind: 'file', path: command.target.path }, input: { kind: 'mail', text } };
        } else if (issue.pull_request) {
          const { data: pr } = await context.octokit.rest.pulls.get({ ...context.repo(), pull_number: issue.number });
          if (!pr.merged || !pr.merge_commit_sha) return '`this` on a pull request means its merge commit, and this PR is not merged yet';
          payload = { ...common, source: { kind: 'commit', sha: pr.merge_commit_sha }, input: { kind: 'commit', rev: pr.merge_commit_sha } };
        } else {
          const text = mailFromIssue(issue.title, issue.body);
          if (text === null) return '`this` on an issue means the patch mail pasted in it, and this issue has none';
          payload = { ...common, source: { kind: 'issue-body', issue: issue.number }, input: { kind: 'mail', text } };
        }
        const what = payload.source.kind === 'commit' ? payload.source.sha : JSON.stringify(payload.source);
        enqueue<BackportPayload>({
          kind: 'backport',
          queueKey,
          dedupeKey: `backport:${queueKey}:${what}:${command.branches.join(',')}:${issue.number}`,
          payload,
        });
        return null;
      }
    }
  }

  async function onComment(context: CommentContext): Promise<void> {
    const p = context.payload;
    if (isBot(p.sender, botLogin) || isBot(p.comment.user, botLogin)) return;
    const parsed: ParsedLine[] =
      p.action === 'edited'
        ? newCommandLines(p.comment.body, (p as { changes?: { body?: { from?: string } } }).changes?.body?.from)
        : parseCommands(p.comment.body);
    if (parsed.length === 0 || !firstDelivery(context)) return;
    const repo = repoInfo(context);
    if (!repo) return;
    const who = p.sender.login;
    const perm = await permissionOf(context.octokit, repo, who);
    if (!perm.allowed) {
      await comment(
        context.octokit,
        repo,
        p.issue.number,
        `Sorry @${who}, only people with write, maintain or admin permission on this repository can run stablebot commands (yours: ${perm.permission}). A maintainer can run it for you.`,
      );
      return;
    }
    const config = await configOrComplain(context.octokit, context, repo, p.issue.number);
    if (!config) return;
    const problems: string[] = [];
    for (const line of parsed) {
      if (!line.ok) {
        problems.push(`- \`${line.line.slice(0, 120)}\`: ${line.error}`);
        continue;
      }
      try {
        const refusal = await runCommand(context, repo, config, line.command);
        if (refusal) problems.push(`- \`${line.line.slice(0, 120)}\`: ${refusal}`);
      } catch (e) {
        if (!isStablebotError(e)) throw e;
        problems.push(`- \`${line.line.slice(0, 120)}\`: ${e.message}`);
      }
    }
    if (problems.length > 0) {
      await comment(context.octokit, repo, p.issue.number, [`@${who}, stablebot did not run:`, '', ...problems, '', 'See `/backport help`.'].join('\n'));
    }
  }

  async function onIssue(context: IssueContext): Promise<void> {
    const p = context.payload;
    if (isBot(p.sender, botLogin)) return;
    const mail = mailFromIssue(p.issue.title, p.issue.body);
    if (!mail) return;
    if (p.action === 'edited') {
      const from = (p as { changes?: { body?: { from?: string } } }).changes?.body?.from;
      if (from === undefined || mailFromIssue(p.issue.title, from) === mail) return;
    }
    if (!firstDelivery(context)) return;
    const repo = repoInfo(context);
    if (!repo) return;
    const perm = await permissionOf(context.octokit, repo, p.sender.login);
    if (!perm.allowed) {
      await comment(
        context.octokit,
        repo,
        p.issue.number,
        `Thanks @${p.sender.login}. stablebot only backports patches posted by people with write, maintain or admin permission here; a maintainer can run \`/backport this\` on this issue.`,
      );
      return;
    }
    const config = await configOrComplain(context.octokit, context, repo, p.issue.number);
    if (!config) return;
    const queueKey = `${repo.owner}/${repo.repo}`;
    enqueue<BackportPayload>({
      kind: 'backport',
      queueKey,
      dedupeKey: `backport:${queueKey}:issue-body:${p.issue.number}`,
      payload: { repo, config, source: { kind: 'issue-body', issue: p.issue.number }, input: { kind: 'mail', text: mail }, branches: [], issue: p.issue.number },
    });
  }

  /** one scheduled sweep job per repository of every installation (a job already queued absorbs the next) */
  async function scheduledTick(): Promise<void> {
    const app = deps.app();
    const appOctokit = await app.auth();
    const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
    for (const inst of installations) {
      const octokit = await app.auth(inst.id);
      const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
      for (const r of repos) {
        const repo: RepoInfo = { owner: r.owner.login, repo: r.name, cloneUrl: r.clone_url, installationId: inst.id };
        const loaded = await loadConfig({ config: async <T,>(file: string) => (await octokit.config.get({ owner: repo.owner, repo: repo.repo, path: `.github/${file}` })).config as T });
        if (!loaded.ok) {
          app.log.warn({ repo: `${repo.owner}/${repo.repo}` }, `scheduled sweep skipped: ${loaded.error}`);
          continue;
        }
        const queueKey = `${repo.owner}/${repo.repo}`;
        enqueue<SweepPayload>({ kind: 'sweep', queueKey, dedupeKey: `sweep:${queueKey}:scheduled`, payload: { repo, config: loaded.config, issue: null } });
      }
    }
  }

  const appFn = (app: Probot): void => {
    probot = app;
    app.on('push', onPush);
    app.on(['issue_comment.created', 'issue_comment.edited'], onComment);
    app.on(['issues.opened', 'issues.edited'], onIssue);
    if (store) void queue.resume();
    schedule?.stop();
    schedule = scheduleAppSweeps(async () => {
      try {
        await scheduledTick();
      } catch (e) {
        app.log.error({ err: e }, 'scheduled sweep failed');
      }
    }, opts.sweepCron);
  };
  return Object.assign(appFn, {
    queue,
    sweepSchedule: () => schedule,
    close: () => {
      schedule?.stop();
      store?.close();
    },
  });
}

const stablebot = createApp();
export default (app: Probot): void => stablebot(app);
