import type { ParsedMail } from '../core/candidate.ts';
import { StablebotError } from '../core/errors.ts';
import type { Fix } from '../core/fix.ts';
import type { UpstreamInfo } from '../core/provenance.ts';
import { renderPatch } from '../core/patch.ts';
import { assertShaLike, type Git } from '../git/git.ts';
import { readCommit } from '../intake/commit.ts';
import { recoverDiff, sameChanges } from '../intake/recover.ts';

/** git patch-id --stable of a diff; null when git finds nothing to hash. */
export async function patchIdOfDiff(git: Git, diffText: string): Promise<string | null> {
  const out = await git.out(['patch-id', '--stable'], { input: diffText });
  return out.split(' ')[0] || null;
}

async function parentOf(git: Git, sha: string): Promise<string | null> {
  return git.tryResolve(`${sha}^1`);
}

/** A fix from a commit of the repository. */
export async function fixFromCommit(git: Git, rev: string, upstream?: Partial<UpstreamInfo>): Promise<Fix> {
  const sha = await git.resolveCommit(/^[0-9a-f]+$/i.test(rev) ? assertShaLike(rev) : rev);
  const c = await readCommit(git, sha);
  return {
    upstream: { sha, subject: c.subject, author: c.author ? `${c.author.name} <${c.author.email}>` : undefined, matchedBy: 'sha', notes: [], ...upstream },
    commit: sha,
    parent: await parentOf(git, sha),
    subject: c.subject,
    author: c.author,
    message: c.message,
    trailers: c.trailers,
    files: c.files,
    diffText: c.diffText,
    patchId: await patchIdOfDiff(git, c.diffText),
  };
}

/**
 * A fix from a mail: its upstream commit when the repository has it (by id, else by subject and author), with the
 * damaged diff recovered exactly; otherwise the mail's own diff (recovered from the branches when damaged).
 */
export async function fixFromMail(git: Git, mail: ParsedMail, opts: { branches: string[]; upstreamBranch: string }): Promise<Fix> {
  if (mail.files.length === 0) throw new StablebotError('malformed-mail', `the mail "${mail.subject}" carries no diff`);
  const mailId = mail.upstream?.sha ?? null;
  if (!mail.damage.damaged && mailId && (await git.tryResolve(mailId))) {
    const fix = await fixFromCommit(git, mailId, { matchedBy: 'reference-line', notes: [] });
    if (sameChanges(mail.files, fix.files)) return fix;
  }
  const recovery = await recoverDiff(mail, git, { branches: opts.branches, upstreamRef: opts.upstreamBranch });
  const notes: string[] = [];
  if (mail.damage.damaged) notes.push(`the mail's diff is whitespace-damaged: ${mail.damage.reasons.join('; ')}`);
  notes.push(...recovery.notes);
  if (recovery.method === 'upstream-commit' || recovery.method === 'upstream-by-subject') {
    const matchedBy = recovery.method === 'upstream-commit' ? 'reference-line' : 'subject';
    if (matchedBy === 'subject' && mailId) notes.push(`the mail's upstream id ${mailId.slice(0, 12)} is not in this repository`);
    return fixFromCommit(git, recovery.source, { matchedBy, notes });
  }
  const diffText = renderPatch(recovery.files);
  return {
    upstream: {
      sha: mailId,
      subject: mail.subject,
      author: mail.author ? `${mail.author.name} <${mail.author.email}>` : undefined,
      matchedBy: 'diff-only',
      notes: [...notes, mailId ? `upstream id ${mailId.slice(0, 12)} is not in this repository: analyzed from the mail's diff alone` : 'analyzed from the mail\'s diff alone'],
    },
    commit: null,
    parent: null,
    subject: mail.subject,
    author: mail.author,
    message: mail.message,
    trailers: mail.trailers,
    files: recovery.files,
    diffText,
    patchId: await patchIdOfDiff(git, diffText),
  };
}



