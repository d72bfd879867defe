import { describe, expect, it } from 'vitest';
import { findUpstreamReference, minVersionOfHint, parseCommitRef, parseTrailers } from '../../app/intake/trailers.ts';

const SHA_A = '81e7223b1a2d63b655ee72577c8579f968d037e3';
const SHA_B = '0f1e2d3c4b5a69788796a5b4c3d2e1f001122334';

describe('parseTrailers', () => {
  it('reads every kind of trailer in order', () => {
    const t = parseTrailers(`Fix the thing.

Fixes: 858299dc6160 ("block: add scatterlist-less DMA mapping helpers")
Fixes: 1234567890ab (net: no quotes)
Fixes: abcdef1234567 "quotes, no parens"
Cc: stable@vger.kernel.org # 6.1+
Cc: <stable@vger.kernel.org> # v6.6+
Cc: stable@kernel.org # 6.6.x
Cc: stable@vger.kernel.org # 3.3.x: a1f84a3: sched: Check for idle
Cc: stable@vger.kernel.org # after -rc3
Cc: <stable+noautosel@kernel.org> # breaks the old userspace tool
Cc: Someone Else <else@example.org>
Stable-dep-of: 0a1b2c3d4e5f ("mm: split the walk")
Link: https://lore.kernel.org/r/1@example.org
Reported-by: R One <r1@example.org>
Tested-by: T One <t1@example.org>
Acked-by: A One <a1@example.org>
Reviewed-by: V One <v1@example.org>
Signed-off-by: S One <s1@example.org>
Signed-off-by: S Two <s2@example.org>`);
    expect(t.fixes).toEqual([
      { sha: '858299dc6160', subject: 'block: add scatterlist-less DMA mapping helpers' },
      { sha: '1234567890ab', subject: 'net: no quotes' },
      { sha: 'abcdef1234567', subject: 'quotes, no parens' },
    ]);
    expect(t.stable.map((s) => [s.address, s.hint, s.minVersion, s.noautosel])).toEqual([
      ['stable@vger.kernel.org', '6.1+', '6.1', false],
      ['stable@vger.kernel.org', 'v6.6+', '6.6', false],
      ['stable@kernel.org', '6.6.x', '6.6', false],
      ['stable@vger.kernel.org', '3.3.x: a1f84a3: sched: Check for idle', '3.3', false],
      ['stable@vger.kernel.org', 'after -rc3', undefined, false],
      ['stable+noautosel@kernel.org', 'breaks the old userspace tool', undefined, true],
    ]);
    expect(t.stableDeps).toEqual([{ sha: '0a1b2c3d4e5f', subject: 'mm: split the walk' }]);
    expect(t.links).toEqual(['https://lore.kernel.org/r/1@example.org']);
    expect(t.reportedBy).toEqual(['R One <r1@example.org>']);
    expect(t.testedBy).toEqual(['T One <t1@example.org>']);
    expect(t.ackedBy).toEqual(['A One <a1@example.org>']);
    expect(t.reviewedBy).toEqual(['V One <v1@example.org>']);
    expect(t.signedOffBy).toEqual(['S One <s1@example.org>', 'S Two <s2@example.org>']);
    expect(t.all).toHaveLength(18);
    expect(t.all[7]).toEqual({ key: 'Cc', value: 'stable@vger.kernel.org # after -rc3' });
  });

  it('joins folded trailers and keeps backporter notes out of values', () => {
    const t = parseTrailers(`Body.

Fixes: 0123456789ab ("a subject long enough to be
  folded by a mailer")
Signed-off-by: Dev <dev@example.org>
[ Sasha: adjust context ]
Signed-off-by: Sasha Levin <sashal@kernel.org>`);
    expect(t.fixes).toEqual([{ sha: '0123456789ab', subject: 'a subject long enough to be folded by a mailer' }]);
    expect(t.signedOffBy).toEqual(['Dev <dev@example.org>', 'Sasha Levin <sashal@kernel.org>']);
  });

  it('only reads the trailer block at the end, not Key: lines in the body', () => {
    const t = parseTrailers(`Oops seen:
RIP: 0010:frob_map+0x12/0x40
Signed-off-by: Not A Trailer <no@example.org>
the trace ends here.

Signed-off-by: Dev <dev@example.org>`);
    expect(t.signedOffBy).toEqual(['Dev <dev@example.org>']);
    expect(t.all).toEqual([{ key: 'Signed-off-by', value: 'Dev <dev@example.org>' }]);
  });

  it('finds trailers in a web-archive copy without blank lines', () => {
    const t = parseTrailers('First line of body.\nSecond line.\nSigned-off-by: A <a@xxxxxx>\nReviewed-by: B <b@xxxx>');
    expect(t.signedOffBy).toEqual(['A <a@xxxxxx>']);
    expect(t.reviewedBy).toEqual(['B <b@xxxx>']);
  });

  it('returns empty trailers for a message without any', () => {
    expect(parseTrailers('just text').all).toEqual([]);
    expect(parseTrailers('').fixes).toEqual([]);
  });
});

describe('minVersionOfHint and parseCommitRef', () => {
  it.each([
    ['6.1+', '6.1'],
    ['v6.6+', '6.6'],
    ['6.6.x', '6.6'],
    ['5.10', '5.10'],
    ['4.19.y: needs 1234abcd', '4.19'],
    ['after -rc3', undefined],
    ['see patch description, needs adjustments for <= 6.3', undefined],
  ])('%s → %s', (hint, v) => expect(minVersionOfHint(hint)).toBe(v));

  it('rejects a value that is not a commit id', () => {
    expect(parseCommitRef('not a sha')).toBeUndefined();
    expect(parseCommitRef('commit 0123456789ab ("x")')).toEqual({ sha: '0123456789ab', subject: 'x' });
  });
});

describe('findUpstreamReference', () => {
  it.each([
    [`commit ${SHA_A} upstream.\n\nBody`, 'commit-upstream'],
    [`[ Upstream commit ${SHA_A} ]\n\nBody`, 'upstream-commit'],
    [`Body\n\n(cherry picked from commit ${SHA_A})`, 'cherry-picked'],
    [`Body\n\nThis is upstream ${SHA_A.toUpperCase()} adapted.`, 'commit-upstream'],
  ])('reads %j', (msg, style) => {
    expect(findUpstreamReference(msg)).toEqual({ sha: SHA_A, style });
  });

  it('prefers the upstream line over a cherry-pick of a stable commit', () => {
    expect(findUpstreamReference(`[ Upstream commit ${SHA_A} ]\n\nx\n(cherry picked from commit ${SHA_B})`)?.sha).toBe(SHA_A);
  });

  it('follows the CVE rule: the first line that mentions upstream decides', () => {
    expect(findUpstreamReference(`Upstream tracks this in bug 12.\nupstream ${SHA_B}`)).toBeUndefined();
    expect(findUpstreamReference('no reference here')).toBeUndefined();
    expect(findUpstreamReference(`commit ${SHA_A.slice(0, 12)} upstream.`)).toBeUndefined();
  });
});
