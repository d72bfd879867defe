import type { Adaptation } from '../core/backport.ts';
import type { Person } from '../core/candidate.ts';

export interface StableMessageInput {
  subject: string;
  /** upstream body and trailers, as merged */
  message: string;
  upstreamSha: string | null;
  adaptations: Adaptation[];
  signoff: Person;
}

/**
 * The stable-tree changelog: subject, `[ Upstream commit <sha40> ]`, the original body and trailers, one bracket
 * note per adaptation, then the backporter's sign-off (kernel-stable-conventions.md, "Backport changelog").
 */
export function stableCommitMessage(m: StableMessageInput): string {
  const out: string[] = [m.subject, ''];
  if (m.upstreamSha) out.push(`[ Upstream commit ${m.upstreamSha} ]`, '');
  const body = m.message.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  if (body) out.push(body);
  const notes = [...new Set(m.adaptations.map((a) => a.note))];
  for (const n of notes) out.push(`[ ${n} ]`);
  const sob = `Signed-off-by: ${m.signoff.name} <${m.signoff.email}>`;
  if (!body.split('\n').slice(-1).includes(sob) || notes.length > 0) out.push(sob);
  return out.join('\n') + '\n';
}

/** FAILED-mail style reproduction commands (see kernel-stable-conventions.md, "FAILED"). */
export function reproductionCommands(branch: string, upstreamSha: string | null, remote = 'https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/'): string[] {
  return [
    `git fetch ${remote} ${branch}`,
    'git checkout FETCH_HEAD',
    upstreamSha ? `git cherry-pick -x ${upstreamSha}` : 'git am -3 <the mail>',
    '# <resolve conflicts, build, test, etc.>',
    'git commit -s',
  ];
}
