import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMirror, type MirrorInfo } from '../../fixtures/mirror/build.ts';
import type { MirrorVariant } from '../../fixtures/mirror/build.ts';
import { Git } from '../../app/git/git.ts';

export async function freshMirror(variants: MirrorVariant[] = [], bare = false): Promise<{ info: MirrorInfo; git: Git; dispose(): void }> {
  const root = mkdtempSync(join(tmpdir(), 'stablebot-pipeline-'));
  const dir = join(root, 'mirror');
  const info = await buildMirror(dir, { variants, bare });
  return { info, git: new Git(dir), dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Everything about a repository that stablebot must leave as it was: refs, worktrees, status, lock/index files. */
export async function repoState(git: Git): Promise<string> {
  const refs = await git.out(['for-each-ref', '--format=%(refname) %(objectname)']);
  const worktrees = await git.out(['worktree', 'list', '--porcelain']);
  const bare = (await git.out(['rev-parse', '--is-bare-repository'])).trim() === 'true';
  const status = bare ? '' : await git.out(['status', '--porcelain', '--ignored']);
  const gitDir = (await git.out(['rev-parse', '--absolute-git-dir'])).trim();
  const { readdirSync } = await import('node:fs');
  const locks = readdirSync(gitDir, { recursive: true }).map(String).filter((p) => p.endsWith('.lock') || /(^|\/)index\.stablebot/.test(p));
  return JSON.stringify({ refs, worktrees, status, locks });
}

/** A fixed author and date, so test-written histories have the same commit ids on every run. */
export const AUTHOR_ENV = { GIT_AUTHOR_NAME: 'A U Thor', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'A U Thor', GIT_COMMITTER_EMAIL: 'a@example.org', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };

/** A fresh repository on `master` for a history a test writes itself; `commit` writes files and returns the new sha. */
export async function scratchRepo(prefix: string): Promise<{ git: Git; commit(files: Record<string, string>, msg: string): Promise<string>; dispose(): void }> {
  const root = mkdtempSync(join(tmpdir(), `stablebot-${prefix}-`));
  const git = new Git(join(root, 'repo'));
  mkdirSync(git.dir, { recursive: true });
  await git.run(['init', '-q', '-b', 'master']);
  const commit = async (files: Record<string, string>, msg: string) => {
    for (const [p, t] of Object.entries(files)) {
      mkdirSync(dirname(join(git.dir, p)), { recursive: true });
      writeFileSync(join(git.dir, p), t);
    }
    await git.run(['add', '-A'], { env: AUTHOR_ENV });
    await git.run(['commit', '-qm', msg], { env: AUTHOR_ENV });
    return (await git.out(['rev-parse', 'HEAD'])).trim();
  };
  return { git, commit, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
