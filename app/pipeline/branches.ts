import { StablebotError } from '../core/errors.ts';
import { compareVersions, seriesOfBranch } from '../core/version.ts';
import { assertBranchName, type Git } from '../git/git.ts';

function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replace(/\[!/g, '[^');
  return new RegExp(`^${re}$`);
}

/** Newest series first: the stable rule reads "newer trees before older ones". */
export function sortBranches(branches: string[]): string[] {
  return [...branches].sort((a, b) => {
    const x = seriesOfBranch(a);
    const y = seriesOfBranch(b);
    if (x && y) return compareVersions(y, x);
    return a.localeCompare(b);
  });
}

/**
 * Expands branch names and globs ("linux-*.y", "linux-6.18.y,linux-6.19.y") against the repository's local branches.
 * A name that is not a glob must exist; a glob must match something.
 */
export async function selectBranches(git: Git, specs: string[] | undefined): Promise<string[]> {
  const wanted = (specs && specs.length ? specs : ['linux-*.y']).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const all = (await git.out(['for-each-ref', '--format=%(refname:short)', 'refs/heads/'])).split('\n').filter(Boolean);
  const chosen = new Set<string>();
  for (const spec of wanted) {
    if (/[*?[]/.test(spec)) {
      if (spec.startsWith('-') || /[\s\0]|\.\./.test(spec)) throw new StablebotError('bad-input', `not a valid branch pattern: ${JSON.stringify(spec)}`);
      const re = globToRegExp(spec);
      const hits = all.filter((b) => re.test(b) && !b.startsWith('stablebot/'));
      if (hits.length === 0) throw new StablebotError('unknown-branch', `no branch matches ${spec}`);
      hits.forEach((h) => chosen.add(h));
    } else {
      await assertBranchName(spec);
      if (!all.includes(spec)) throw new StablebotError('unknown-branch', `no such branch: ${spec}`);
      chosen.add(spec);
    }
  }
  return sortBranches([...chosen]);
}
