import { compareVersions, isMainlineRelease } from '../core/version.ts';
import type { Git } from '../git/git.ts';

/** The first tag matching `filter` that contains `sha`, in version order; null when none does. */
export async function firstTagContaining(git: Git, sha: string, pattern: string, filter: (t: string) => boolean): Promise<string | null> {
  const out = await git.out(['tag', '--contains', sha, '--list', pattern]);
  const tags = out.split('\n').filter((t) => t && filter(t));
  tags.sort(compareVersions);
  return tags[0] ?? null;
}

/** First mainline release (vX.Y) containing a commit. */
export async function firstRelease(git: Git, sha: string): Promise<string | null> {
  return firstTagContaining(git, sha, 'v*', isMainlineRelease);
}

/** First stable release of a series (vX.Y.Z) containing a commit. */
export async function firstStableRelease(git: Git, sha: string, series: string): Promise<string | null> {
  return firstTagContaining(git, sha, `v${series}.*`, (t) => /^v\d+\.\d+\.\d+$/.test(t));
}
