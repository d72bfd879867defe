/** A commit of a repository read into the same shape as a mail, with its exact diff. */
import type { ParsedMail } from '../core/candidate.ts';
import { StablebotError } from '../core/errors.ts';
import type { Git } from '../git/git.ts';
import { parseDiff } from './diff.ts';
import { findUpstreamReference, isReferenceLine, parseTrailers } from './trailers.ts';

export interface CommitMail extends ParsedMail {
  kind: 'plain';
  /** full SHA of the commit read */
  sha: string;
}

/**
 * Options that make the diff independent of the user's git configuration (prefixes, context size, renames,
 * external diff drivers, textconv) so it re-applies with `git apply`.
 */
const DIFF_OPTIONS = ['--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/', '-U3', '-M', '--binary'];

export async function readCommit(git: Git, rev: string): Promise<CommitMail> {
  const sha = await git.resolveCommit(rev);
  const meta = await git.out(['log', '-1', '--no-show-signature', '--format=%P%x00%an%x00%ae%x00%aD%x00%s%x00%B', sha]);
  const [parents, authorName, authorEmail, date, subject, ...rest] = meta.split('\0');
  if (parents.trim().split(/\s+/).filter(Boolean).length > 1) {
    throw new StablebotError('bad-input', `${sha.slice(0, 12)} is a merge commit, not a fix`);
  }
  const full = rest.join('\0').replace(/\n+$/, '');
  // %B starts with the subject paragraph; the message is what follows it
  const body = full.split('\n').slice(subject.split('\n').length).join('\n').replace(/^\n+/, '');
  const upstream = findUpstreamReference(body);
  let dropped = false;
  const message = body
    .split('\n')
    .filter((l) => {
      if (!dropped && upstream && isReferenceLine(l, upstream)) {
        dropped = true;
        return false;
      }
      return true;
    })
    .join('\n')
    .replace(/^\n+/, '')
    .replace(/\n+$/, '');
  const diffText = await git.out(['show', '--format=', '--patch', ...DIFF_OPTIONS, sha, '--']);
  const { files } = parseDiff(diffText);
  const result: CommitMail = {
    kind: 'plain',
    sha,
    subject,
    rawSubject: subject,
    author: { name: authorName, email: authorEmail },
    date,
    targetVersions: [],
    message,
    trailers: parseTrailers(message),
    diffText,
    files,
    // the diff comes from git itself: exact by construction
    damage: { damaged: false, reasons: [] },
  };
  if (upstream) result.upstream = upstream;
  return result;
}
