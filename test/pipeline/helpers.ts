import { mkdtempSync, rmSync } from 'node:fs';
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
