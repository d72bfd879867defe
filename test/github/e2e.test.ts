/**
 * End to end: webhook -> probot -> job queue -> REAL pipeline on the fixture kernel mirror -> git push into a local
 * bare repository standing for GitHub -> PRs, check runs and the summary on the fake (OpenAPI-validated) GitHub.
 * Expected outcomes come from the fixture's own expectations, never from this file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildMirror, type MirrorInfo } from '../../fixtures/mirror/build.ts';
import { Git } from '../../app/git/git.ts';
import { readSummaryState } from '../../app/github/summary.ts';
import { commentPayload, makeHarness, pushPayload, type Harness } from './harness.ts';
import { addMainlineCommit, buildSmallMirror, type Mirror } from './git-fixture.ts';

let root: string;
let mirror: MirrorInfo;
let h: Harness;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stablebot-gh-e2e-'));
  mirror = await buildMirror(join(root, 'github.git'));
  h = await makeHarness({ app: { gitUrlFor: () => mirror.dir }, fake: { bareDir: mirror.dir } });
  h.gh.permissions.set('maintainer', 'write');
});

afterEach(async () => {
  await h.settle();
  expect(h.gh.violations).toEqual([]);
  await h.cleanup();
  await rm(root, { recursive: true, force: true });
});

function expected(): Record<string, string> {
  return Object.fromEntries(Object.entries(mirror.expect.seed.branches).map(([b, e]) => [b, e.outcome]));
}

async function assertPublished(upstream: string, issue: number): Promise<void> {
  const want = expected();
  const publishable = Object.keys(want).filter((b) => want[b] === 'clean' || want[b] === 'adapted').sort();
  expect(h.gh.pulls.map((p) => p.base).sort()).toEqual(publishable);
  const bare = new Git(mirror.dir);
  for (const pr of h.gh.pulls) {
    const version = /^linux-(\d+\.\d+)\.y$/.exec(pr.base)![1];
    expect(pr.title).toBe(`[${version}.y] ${mirror.commits.seedFix.subject}`);
    expect(pr.head).toBe(`stablebot/${pr.base}/${upstream.slice(0, 12)}`);
    expect(pr.labels.includes('adapted')).toBe(want[pr.base] === 'adapted');
    // the pushed commit sits on the stable branch, names its upstream commit and carries no conflict markers
    const head = (await bare.out(['rev-parse', `refs/heads/${pr.head}`])).trim();
    expect((await bare.out(['rev-parse', `${head}^`])).trim()).toBe((await bare.out(['rev-parse', `refs/heads/${pr.base}`])).trim());
    expect(await bare.out(['log', '-1', '--format=%B', head])).toContain(upstream);
    expect(await bare.out(['diff', `${head}^`, head])).not.toMatch(/^\+(<{7}|>{7})/m);
    const check = h.gh.checkRuns.find((c) => c.headSha === head && c.name === 'stablebot/verify');
    expect(check?.conclusion).toBe(want[pr.base] === 'clean' ? 'success' : 'neutral');
  }
  const sums = h.gh.comments.filter((c) => c.issue === issue && c.body.includes('<!-- stablebot:summary:'));
  expect(sums).toHaveLength(1);
  const state = readSummaryState(sums[0].body)!;
  expect(Object.fromEntries(state.rows.map((r) => [r.branch, r.status]))).toEqual(want);
}

describe('real pipeline on the fixture mirror', () => {
  it('the seed fix pushed to master with Cc: stable: one PR per clean/adapted branch, none elsewhere, one summary', async () => {
    // the mainline commit as it would look had it carried `Cc: stable` (the list submission's form)
    const git = new Git(mirror.dir);
    const seed = mirror.commits.seedFix.sha;
    const message = `${(await git.out(['log', '-1', '--format=%B', seed])).trimEnd()}\nCc: stable@vger.kernel.org\n`;
    const env = { GIT_AUTHOR_NAME: 'Chaitanya Kulkarni', GIT_AUTHOR_EMAIL: 'kch@example.org', GIT_COMMITTER_NAME: 'Jens Axboe', GIT_COMMITTER_EMAIL: 'axboe@example.org' };
    const fix = (await git.out(['commit-tree', `${seed}^{tree}`, '-p', `${seed}^`, '-m', message], { env })).trim();
    const before = (await git.out(['rev-parse', `${seed}^`])).trim();
    await git.run(['update-ref', 'refs/heads/master', fix]);

    await h.receive('push', pushPayload(h.gh, 'refs/heads/master', before, [{ id: fix, message }]));
    await h.settle();
    expect(h.gh.issues).toHaveLength(1);
    await assertPublished(fix, h.gh.issues[0].number);
  });

  it('/backport <seed sha> from an issue comment, then the same command again: the PRs are updated, not duplicated', async () => {
    const issue = h.gh.addIssue('AUTOSEL: block IOVA cleanup', 'please backport');
    const seed = mirror.commits.seedFix.sha;
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${seed.slice(0, 12)}`, { issue: issue.number }));
    await h.settle();
    await assertPublished(seed, issue.number);
    const created = h.gh.called('pulls/create').length;
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${seed}`, { issue: issue.number }));
    await h.settle();
    expect(h.gh.called('pulls/create')).toHaveLength(created);
    await assertPublished(seed, issue.number);
  });
});

describe('real pipeline on a small history (driver identical on every stable branch, culprit in all of them)', () => {
  let small: Mirror;
  let hs: Harness;

  beforeEach(async () => {
    small = await buildSmallMirror(['6.6', '6.12', '6.18']);
    hs = await makeHarness({ app: { gitUrlFor: () => small.bare }, fake: { bareDir: small.bare } });
    hs.gh.permissions.set('maintainer', 'admin');
  });

  afterEach(async () => {
    await hs.settle();
    expect(hs.gh.violations).toEqual([]);
    await hs.cleanup();
    await small.cleanup();
  });

  it('a Fixes: push is backported cleanly everywhere; a redelivery and a later command change nothing but bodies', async () => {
    const message = `frob: fail on an empty request\n\nFixes: ${small.commits.initial.slice(0, 12)} ("frob: add segment mapping")\nSigned-off-by: Dev One <dev@example.org>\n`;
    const fix = await addMainlineCommit(small, message);
    const payload = pushPayload(hs.gh, 'refs/heads/master', small.base, [{ id: fix, message }]);
    await hs.receive('push', payload, 'delivery-e2e');
    await hs.receive('push', structuredClone(payload), 'delivery-e2e');
    await hs.settle();
    expect(hs.gh.pulls.map((p) => [p.base, p.title]).sort()).toEqual([
      ['linux-6.12.y', '[6.12.y] frob: fail on an empty request'],
      ['linux-6.18.y', '[6.18.y] frob: fail on an empty request'],
      ['linux-6.6.y', '[6.6.y] frob: fail on an empty request'],
    ]);
    const bare = new Git(small.bare);
    for (const pr of hs.gh.pulls) {
      const head = (await bare.out(['rev-parse', `refs/heads/${pr.head}`])).trim();
      // the pushed diff is upstream's diff
      expect(await bare.out(['diff', `${head}^`, head, '--', 'drivers/block/frob/map.c'])).toContain('+\t\treturn -EIO;');
      expect(hs.gh.checkRuns.find((c) => c.headSha === head)?.conclusion).toBe('success');
    }
    const tracking = hs.gh.issues[0].number;
    await hs.receive('issue_comment', commentPayload(hs.gh, `/backport retry`, { issue: tracking }));
    await hs.settle();
    expect(hs.gh.called('pulls/create')).toHaveLength(3);
    expect(hs.gh.called('pulls/update')).toHaveLength(3);
    const sums = hs.gh.comments.filter((c) => c.body.includes('<!-- stablebot:summary:'));
    expect(sums).toHaveLength(1);
    expect(readSummaryState(sums[0].body)?.rows.map((r) => r.status)).toEqual(['clean', 'clean', 'clean']);
  });
});
