import type { Git } from '../git/git.ts';

/**
 * The path `path` had at `since`, when mainline renamed it between `since` and `until` (git's rename detection,
 * following chains of renames); null when it was not renamed.
 */
export async function pathBeforeRenames(git: Git, path: string, since: string, until: string): Promise<{ path: string; commit: string } | null> {
  const out = await git.out(['log', '--follow', '-M', '--diff-filter=R', '--name-status', '--format=commit %H', `${since}..${until}`, '--', path], {
    allowFail: true,
  });
  let cur = path;
  let commit: string | null = null;
  let at = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('commit ')) {
      at = line.slice(7);
      continue;
    }
    const [status, from, to] = line.split('\t');
    if (status?.startsWith('R') && to === cur && from) {
      cur = from;
      commit = at;
    }
  }
  return commit && cur !== path ? { path: cur, commit } : null;
}
