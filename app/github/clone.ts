/**
 * The local clone of a repository the App works on, and git authentication with an installation token.
 *
 * The token never appears in a URL, in argv or in .git/config: it travels in the environment of the one git
 * process that needs it, as GIT_CONFIG_COUNT/KEY/VALUE setting `http.<origin>/.extraHeader` (git >= 2.31).
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StablebotError } from '../core/errors.ts';
import { Git } from '../git/git.ts';

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function assertRepoName(owner: string, repo: string): void {
  for (const part of [owner, repo]) {
    if (!NAME.test(part) || part === '.' || part === '..') {
      throw new StablebotError('bad-input', `not a repository name: ${JSON.stringify(`${owner}/${repo}`)}`);
    }
  }
}

export function workdirRoot(explicit?: string): string {
  return explicit ?? process.env.STABLEBOT_WORKDIR ?? join(homedir(), '.cache', 'stablebot', 'repos');
}

export function cloneDir(root: string, owner: string, repo: string): string {
  assertRepoName(owner, repo);
  return join(root, owner, repo);
}

/** Environment for one authenticated git process; empty for local (file) remotes. */
export function gitAuthEnv(remoteUrl: string, token: string | null): Record<string, string> {
  if (!token || !/^https?:\/\//.test(remoteUrl)) return {};
  const url = new URL(remoteUrl);
  if (url.username || url.password) throw new StablebotError('bad-input', 'remote URL must not carry credentials');
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${url.origin}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_TERMINAL_PROMPT: '0',
  };
}

/** Only for errors and logs: never show a token, even one that slipped into a message. */
export function redact(text: string, token: string | null): string {
  if (!token) return text;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return text.replaceAll(token, '***').replaceAll(basic, '***');
}

/**
 * Clone or update the repository in `dir`: every branch except our own stablebot/* ones (the pipeline makes
 * those) is mirrored into refs/heads, tags into refs/tags, so the pipeline sees the layout of a plain mirror.
 */
export async function syncClone(dir: string, remoteUrl: string, token: string | null): Promise<Git> {
  const git = new Git(dir);
  if (!existsSync(join(dir, '.git'))) {
    await mkdir(dir, { recursive: true });
    await git.run(['init', '-q']);
    await git.run(['remote', 'add', 'origin', remoteUrl]);
  } else {
    await git.run(['remote', 'set-url', 'origin', remoteUrl]);
  }
  const r = await git.run(
    [
      'fetch',
      '--quiet',
      '--update-head-ok',
      '--force',
      'origin',
      '+refs/heads/*:refs/heads/*',
      '^refs/heads/stablebot/*',
      '+refs/tags/*:refs/tags/*',
    ],
    { env: gitAuthEnv(remoteUrl, token), allowFail: true },
  );
  if (r.code !== 0) throw new Error(`git fetch from ${remoteUrl} failed: ${redact(r.stderr.trim(), token)}`);
  return git;
}

/** Force-push one commit to one branch of the remote. */
export async function pushBranch(git: Git, remoteUrl: string, token: string | null, commit: string, branch: string): Promise<void> {
  if (!branch.startsWith('stablebot/')) throw new StablebotError('bad-input', `refusing to push outside stablebot/*: ${branch}`);
  const r = await git.run(['push', '--quiet', '--force', '--', 'origin', `${commit}:refs/heads/${branch}`], {
    env: gitAuthEnv(remoteUrl, token),
    allowFail: true,
  });
  if (r.code !== 0) throw new Error(`git push of ${branch} failed: ${redact(r.stderr.trim(), token)}`);
}

/** Conflict markers in lines a commit adds: such a commit is never published. */
export async function conflictMarkers(git: Git, base: string, commit: string): Promise<string[]> {
  const diff = await git.out(['diff', '--no-color', '--no-ext-diff', `${base}`, commit, '--']);
  return diff.split('\n').filter((l) => /^\+(<{7}|>{7})( |$)/.test(l));
}
