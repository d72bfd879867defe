import { describe, expect, it } from 'vitest';
import { reproductionCommands, stableCommitMessage } from '../../app/backport/message.ts';

const sha = 'a'.repeat(40);

describe('stable commit message', () => {
  it('puts the reference line after the subject and one note per adaptation before the sign-off', () => {
    const msg = stableCommitMessage({
      subject: 'net: fix a leak in foo_open',
      message: 'Free the buffer on the error path.\n\nFixes: 0123456789ab ("net: add foo")\nSigned-off-by: A <a@example.org>\n',
      upstreamSha: sha,
      adaptations: [
        { rule: 'context-substitution', file: 'net/foo.c', hunk: 1, note: '`flags` does not exist before v6.19: pass 0', params: { from: 'flags', to: '0' } },
      ],
      signoff: { name: 'Bot', email: 'bot@example.org' },
    });
    expect(msg).toBe(
      [
        'net: fix a leak in foo_open',
        '',
        `[ Upstream commit ${sha} ]`,
        '',
        'Free the buffer on the error path.',
        '',
        'Fixes: 0123456789ab ("net: add foo")',
        'Signed-off-by: A <a@example.org>',
        '[ `flags` does not exist before v6.19: pass 0 ]',
        'Signed-off-by: Bot <bot@example.org>',
        '',
      ].join('\n'),
    );
  });
  it('gives the FAILED-mail reproduction commands for the branch', () => {
    const cmds = reproductionCommands('linux-6.1.y', sha);
    expect(cmds[0]).toMatch(/^git fetch \S+ linux-6\.1\.y$/);
    expect(cmds).toContain(`git cherry-pick -x ${sha}`);
  });
});
