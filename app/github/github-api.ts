/**
 * The small set of GitHub REST calls the App makes, each idempotent: find-then-create or find-then-update, keyed
 * by deterministic names and hidden markers, so a redelivered webhook or a re-run never makes a second object.
 */
import type { ProbotOctokit } from 'probot';

export type Octokit = ProbotOctokit;

export interface Repo {
  owner: string;
  repo: string;
}

/** Only owner and repo: callers pass richer objects, whose other fields must not become query parameters. */
function only(r: Repo): Repo {
  return { owner: r.owner, repo: r.repo };
}

/** GitHub refuses bodies over 65536 characters. */
export function fitBody(text: string, limit = 65000): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n\n…(truncated: the full report is longer than GitHub allows)`;
}

export async function findMarkedComment(
  octokit: Octokit,
  repo: Repo,
  issue: number,
  marker: string,
): Promise<{ id: number; body: string } | null> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...only(repo), issue_number: issue, per_page: 100 });
  const found = comments.find((c) => (c.body ?? '').includes(marker));
  return found ? { id: found.id, body: found.body ?? '' } : null;
}

export async function listMarkedComments(octokit: Octokit, repo: Repo, issue: number, marker: RegExp): Promise<{ id: number; body: string }[]> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...only(repo), issue_number: issue, per_page: 100 });
  return comments.filter((c) => marker.test(c.body ?? '')).map((c) => ({ id: c.id, body: c.body ?? '' }));
}

/** Create the comment carrying `marker`, or edit it in place. Returns its id. */
export async function upsertComment(octokit: Octokit, repo: Repo, issue: number, marker: string, body: string, knownId?: number): Promise<number> {
  const text = fitBody(body.includes(marker) ? body : `${marker}\n${body}`);
  const id = knownId ?? (await findMarkedComment(octokit, repo, issue, marker))?.id;
  if (id !== undefined) {
    await octokit.rest.issues.updateComment({ ...only(repo), comment_id: id, body: text });
    return id;
  }
  const created = await octokit.rest.issues.createComment({ ...only(repo), issue_number: issue, body: text });
  return created.data.id;
}

export async function comment(octokit: Octokit, repo: Repo, issue: number, body: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...only(repo), issue_number: issue, body: fitBody(body) });
}

export async function addLabels(octokit: Octokit, repo: Repo, issue: number, labels: string[]): Promise<void> {
  if (labels.length === 0) return;
  await octokit.rest.issues.addLabels({ ...only(repo), issue_number: issue, labels });
}

export interface PullInfo {
  number: number;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
}

/** The PR whose head is our deterministic branch, in any state. */
export async function findPullForBranch(octokit: Octokit, repo: Repo, branch: string): Promise<PullInfo | null> {
  const { data } = await octokit.rest.pulls.list({ ...only(repo), head: `${repo.owner}:${branch}`, state: 'all', per_page: 10 });
  const pr = data.find((p) => p.head.ref === branch) ?? data[0];
  if (!pr) return null;
  return { number: pr.number, url: pr.html_url, state: pr.state as 'open' | 'closed', merged: Boolean(pr.merged_at) };
}

export async function createPull(
  octokit: Octokit,
  repo: Repo,
  p: { head: string; base: string; title: string; body: string },
): Promise<PullInfo> {
  const { data } = await octokit.rest.pulls.create({ ...only(repo), head: p.head, base: p.base, title: p.title, body: fitBody(p.body), maintainer_can_modify: true });
  return { number: data.number, url: data.html_url, state: 'open', merged: false };
}

export async function updatePull(octokit: Octokit, repo: Repo, number: number, p: { title: string; body: string }): Promise<void> {
  await octokit.rest.pulls.update({ ...only(repo), pull_number: number, title: p.title, body: fitBody(p.body) });
}

export type Conclusion = 'success' | 'neutral' | 'failure' | 'action_required';

/** One check run of this name per commit: updated when it exists. */
export async function upsertCheckRun(
  octokit: Octokit,
  repo: Repo,
  headSha: string,
  name: string,
  result: { conclusion: Conclusion; title: string; summary: string; text?: string },
): Promise<number> {
  const output = { title: result.title.slice(0, 255), summary: fitBody(result.summary), ...(result.text ? { text: fitBody(result.text) } : {}) };
  const { data } = await octokit.rest.checks.listForRef({ ...only(repo), ref: headSha, check_name: name, per_page: 10 });
  const existing = data.check_runs[0];
  if (existing) {
    await octokit.rest.checks.update({ ...only(repo), check_run_id: existing.id, status: 'completed', conclusion: result.conclusion, output });
    return existing.id;
  }
  const created = await octokit.rest.checks.create({ ...only(repo), name, head_sha: headSha, status: 'completed', conclusion: result.conclusion, output });
  return created.data.id;
}

/** The issue tracking a candidate found on push (there is no triggering issue): found by its marker. */
export async function findOrCreateTrackingIssue(
  octokit: Octokit,
  repo: Repo,
  marker: string,
  issue: { title: string; body: string; labels: string[] },
): Promise<number> {
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...only(repo),
    state: 'all',
    labels: issue.labels.join(','),
    per_page: 100,
  });
  const found = issues.find((i) => !i.pull_request && (i.body ?? '').includes(marker));
  if (found) return found.number;
  const { data } = await octokit.rest.issues.create({ ...only(repo), title: issue.title, body: fitBody(`${marker}\n${issue.body}`), labels: issue.labels });
  return data.number;
}

const ALLOWED = new Set(['admin', 'maintain', 'write']);

/** write, maintain or admin may trigger the bot; everyone else is refused politely. */
export async function permissionOf(octokit: Octokit, repo: Repo, username: string): Promise<{ allowed: boolean; permission: string }> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...only(repo), username });
    const role = (data as { role_name?: string }).role_name;
    const permission = role && ALLOWED.has(role) ? role : data.permission;
    return { allowed: ALLOWED.has(permission) || ALLOWED.has(role ?? ''), permission: role ?? permission };
  } catch (e) {
    // 404: not a collaborator
    if ((e as { status?: number }).status === 404) return { allowed: false, permission: 'none' };
    throw e;
  }
}

/** A file of the repository (an mbox or patch named in a command), as text. */
export async function readRepoFile(octokit: Octokit, repo: Repo, path: string, ref?: string): Promise<string | null> {
  try {
    const { data } = await octokit.rest.repos.getContent({ ...only(repo), path, ...(ref ? { ref } : {}) });
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return null;
    return Buffer.from(data.content, 'base64').toString('utf8');
  } catch (e) {
    if ((e as { status?: number }).status === 404) return null;
    throw e;
  }
}
