import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Git } from '../../app/git/git.ts';
import { StablebotError } from '../../app/core/errors.ts';
import { readSummaryState } from '../../app/github/summary.ts';
import { addMainlineCommit, addMainlineFile, buildSmallMirror, fakePipeline, type FakePipeline, type Mirror } from './git-fixture.ts';
import { commentPayload, issuePayload, makeHarness, pushPayload, type Harness } from './harness.ts';

const FIX_MESSAGE = (subject: string, trailers: string) => `${subject}\n\nThe error path leaked the mapping.\n\n${trailers}\nSigned-off-by: Dev One <dev@example.org>\n`;

let mirror: Mirror;
let h: Harness;
let pipeline: FakePipeline;

async function setup(outcomes: Parameters<typeof fakePipeline>[0], extra: Partial<Parameters<typeof makeHarness>[0]> = {}, pipeOpts: Parameters<typeof fakePipeline>[1] = {}) {
  pipeline = fakePipeline(outcomes, pipeOpts);
  h = await makeHarness({
    app: { pipeline, gitUrlFor: () => mirror.bare, ...extra.app },
    fake: { bareDir: mirror.bare, ...extra.fake },
  });
  h.gh.permissions.set('maintainer', 'maintain');
  h.gh.permissions.set('admin-person', 'admin');
  h.gh.permissions.set('reader', 'read');
}

beforeEach(async () => {
  mirror = await buildSmallMirror();
});

afterEach(async () => {
  if (h) {
    await h.settle();
    expect(h.gh.violations).toEqual([]);
    await h.cleanup();
  }
  await mirror.cleanup();
});

function summaries(issue: number) {
  return h.gh.comments.filter((c) => c.issue === issue && c.body.includes('<!-- stablebot:summary:'));
}

describe('push to the upstream branch', () => {
  it('a Cc: stable fix becomes one PR per affected branch, a check run each and one summary comment', async () => {
    await setup({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'adapted', 'linux-6.17.y': 'adapted' });
    const sha = await addMainlineCommit(mirror, FIX_MESSAGE('frob: unmap on error', 'Cc: stable@vger.kernel.org'));
    await h.receive('push', pushPayload(h.gh, 'refs/heads/master', mirror.base, [{ id: sha, message: FIX_MESSAGE('frob: unmap on error', 'Cc: stable@vger.kernel.org') }]));
    await h.settle();

    const byBase = Object.fromEntries(h.gh.pulls.map((p) => [p.base, p]));
    expect(Object.keys(byBase).sort()).toEqual(['linux-6.17.y', 'linux-6.18.y', 'linux-6.19.y']);
    expect(byBase['linux-6.19.y'].title).toBe('[6.19.y] frob: unmap on error');
    expect(byBase['linux-6.18.y'].head).toBe(`stablebot/linux-6.18.y/${sha.slice(0, 12)}`);
    expect(byBase['linux-6.18.y'].labels.sort()).toEqual(['adapted', 'stable-backport']);
    expect(byBase['linux-6.19.y'].labels).toEqual(['stable-backport']);
    expect(byBase['linux-6.17.y'].body).toContain(`Backport of ${sha} to linux-6.17.y`);

    // the pushed branch is the pipeline's commit, on top of the stable branch, in the "GitHub" repository
    const bare = new Git(mirror.bare);
    const head = (await bare.out(['rev-parse', `refs/heads/stablebot/linux-6.19.y/${sha.slice(0, 12)}`])).trim();
    expect((await bare.out(['rev-parse', `${head}^`])).trim()).toBe((await bare.out(['rev-parse', 'linux-6.19.y'])).trim());
    expect(await bare.out(['log', '-1', '--format=%B', head])).toContain(`[ Upstream commit ${sha} ]`);

    const checks = h.gh.checkRuns.filter((c) => c.name === 'stablebot/verify');
    expect(checks.map((c) => c.conclusion).sort()).toEqual(['neutral', 'neutral', 'success']);
    expect(checks.find((c) => c.headSha === head)?.conclusion).toBe('success');

    expect(h.gh.issues).toHaveLength(1);
    const tracking = h.gh.issues[0];
    expect(tracking.labels).toEqual(['stable-backport']);
    const sums = summaries(tracking.number);
    expect(sums).toHaveLength(1);
    const state = readSummaryState(sums[0].body)!;
    expect(state.key).toBe(sha);
    expect(Object.fromEntries(state.rows.map((r) => [r.branch, r.status]))).toEqual({
      'linux-6.12.y': 'not-affected',
      'linux-6.17.y': 'adapted',
      'linux-6.18.y': 'adapted',
      'linux-6.19.y': 'clean',
    });
    expect(sums[0].body).toMatch(/`linux-6.19.y` \| ✅ clean \| #\d+/);
    expect(sums[0].body).toMatch(/`linux-6.18.y` \| ⚠️ adapted/);
    expect(sums[0].body).toMatch(/`linux-6.12.y` \| ➖ not affected/);
  });

  it('ignores pushes to other branches, stable+noautosel commits and commits without trailers', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const plain = await addMainlineCommit(mirror, 'frob: cleanup\n\nNo functional change.\n');
    const noautosel = await addMainlineCommit(mirror, FIX_MESSAGE('frob: tweak', 'Cc: <stable+noautosel@kernel.org> # needs soak time'), '\t/* tweak */\n');
    await h.receive('push', pushPayload(h.gh, 'refs/heads/master', mirror.base, [
      { id: plain, message: 'frob: cleanup\n\nNo functional change.\n' },
      { id: noautosel, message: FIX_MESSAGE('frob: tweak', 'Cc: <stable+noautosel@kernel.org> # needs soak time') },
    ]));
    const fix = await addMainlineCommit(mirror, FIX_MESSAGE('frob: fix', 'Cc: stable@vger.kernel.org'), '\t/* fix */\n');
    await h.receive('push', pushPayload(h.gh, 'refs/heads/feature', noautosel, [{ id: fix, message: FIX_MESSAGE('frob: fix', 'Cc: stable@vger.kernel.org') }]));
    await h.settle();
    expect(pipeline.calls).toHaveLength(0);
    expect(h.gh.pulls).toHaveLength(0);
  });

  it('a Fixes: tag whose culprit is in a stable branch makes a candidate; one whose culprit is only on mainline does not', async () => {
    await setup({ 'linux-6.18.y': 'clean', 'linux-6.19.y': 'clean' });
    const culpritOld = mirror.commits['6.17'];
    const newer = await addMainlineFile(mirror, 'drivers/block/frob/feature.c', 'frob: new feature');
    const fixOld = FIX_MESSAGE('frob: fix old bug', `Fixes: ${culpritOld.slice(0, 12)} ("frob: prepare 6.17")`);
    const fixNew = FIX_MESSAGE('frob: fix new bug', `Fixes: ${newer.slice(0, 12)} ("frob: new feature")`);
    const a = await addMainlineCommit(mirror, fixOld, '\t/* fix old */\n');
    const b = await addMainlineCommit(mirror, fixNew, '\t/* fix new */\n');
    await h.receive('push', pushPayload(h.gh, 'refs/heads/master', mirror.base, [
      { id: newer, message: 'frob: new feature' },
      { id: a, message: fixOld },
      { id: b, message: fixNew },
    ]));
    await h.settle();
    expect(pipeline.calls.map((c) => c.input)).toEqual([{ kind: 'commit', rev: a }]);
    expect(h.gh.pulls.map((p) => p.base).sort()).toEqual(['linux-6.18.y', 'linux-6.19.y']);
  });

  it('the same delivery twice makes one PR per branch', async () => {
    await setup({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'adapted' });
    const msg = FIX_MESSAGE('frob: fix leak', 'Cc: stable@vger.kernel.org # 6.18+');
    const sha = await addMainlineCommit(mirror, msg);
    const payload = pushPayload(h.gh, 'refs/heads/master', mirror.base, [{ id: sha, message: msg }]);
    await h.receive('push', payload, 'delivery-1');
    await h.receive('push', structuredClone(payload), 'delivery-1');
    await h.settle();
    // a redelivery under a new id (GitHub's "redeliver" keeps the id; a manual replay may not) is idempotent too
    await h.receive('push', structuredClone(payload), 'delivery-2');
    await h.settle();
    expect(h.gh.pulls.map((p) => p.base).sort()).toEqual(['linux-6.18.y', 'linux-6.19.y']);
    expect(h.gh.issues).toHaveLength(1);
    expect(summaries(h.gh.issues[0].number)).toHaveLength(1);
    expect(h.gh.checkRuns.filter((c) => c.name === 'stablebot/verify')).toHaveLength(2);
  });

  it('bad config on push: one failed check run, no job', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    h.gh.files.set('.github/stablebot.yml', 'policy: yolo\nstableBranches: ["--upload-pack=x"]\n');
    const msg = FIX_MESSAGE('frob: fix', 'Cc: stable@vger.kernel.org');
    const sha = await addMainlineCommit(mirror, msg);
    await h.receive('push', pushPayload(h.gh, 'refs/heads/master', mirror.base, [{ id: sha, message: msg }]));
    await h.receive('push', pushPayload(h.gh, 'refs/heads/master', mirror.base, [{ id: sha, message: msg }]));
    await h.settle();
    expect(h.gh.checkRuns).toHaveLength(1);
    expect(h.gh.checkRuns[0]).toMatchObject({ name: 'stablebot/config', conclusion: 'failure', headSha: sha });
    expect(h.gh.checkRuns[0].summary).toMatch(/policy/);
    expect(h.gh.checkRuns[0].summary).toMatch(/stableBranches/);
    expect(pipeline.calls).toHaveLength(0);
  });
});

describe('slash-commands', () => {
  it('a maintainer backports a commit to named branches from an issue comment', async () => {
    await setup({ 'linux-6.12.y': 'clean', 'linux-6.17.y': 'adapted' });
    const sha = await addMainlineCommit(mirror, 'frob: fix something\n');
    const issue = h.gh.addIssue('please backport', 'see subject');
    await h.receive('issue_comment', commentPayload(h.gh, `Sure.\n/backport ${sha.slice(0, 12)} to linux-6.12.y linux-6.17.y`, { issue: issue.number }));
    await h.settle();
    expect(pipeline.calls[0]).toMatchObject({ input: { kind: 'commit', rev: sha.slice(0, 12) }, branches: ['linux-6.12.y', 'linux-6.17.y'] });
    expect(h.gh.pulls.map((p) => p.title).sort()).toEqual(['[6.12.y] frob: fix something', '[6.17.y] frob: fix something']);
    expect(summaries(issue.number)).toHaveLength(1);
    expect(h.gh.issues).toHaveLength(1); // no tracking issue: the summary lives on the triggering issue
  });

  it('a read-only commenter is refused politely and nothing runs', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123456789ab to linux-6.19.y', { login: 'reader', issue: issue.number }));
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123456789ab to linux-6.19.y', { login: 'stranger', issue: issue.number }));
    await h.settle();
    expect(pipeline.calls).toHaveLength(0);
    expect(h.gh.comments.map((c) => c.body)).toEqual([
      expect.stringMatching(/^Sorry @reader, only people with write, maintain or admin permission .*\(yours: read\)/),
      expect.stringMatching(/^Sorry @stranger, .*\(yours: none\)/),
    ]);
  });

  it('two concurrent commands for the same commit make one PR per branch', async () => {
    await setup({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'clean' }, { fake: { bareDir: mirror.bare, delayMs: 5 } });
    const sha = await addMainlineCommit(mirror, 'frob: fix race\n');
    const issue = h.gh.addIssue('x', 'y');
    const body = `/backport ${sha} to linux-6.19.y linux-6.18.y`;
    await Promise.all([
      h.receive('issue_comment', commentPayload(h.gh, body, { issue: issue.number })),
      h.receive('issue_comment', commentPayload(h.gh, body, { issue: issue.number, login: 'admin-person' })),
      h.receive('issue_comment', commentPayload(h.gh, `/backport ${sha.slice(0, 10)} linux-6.19.y,linux-6.18.y`, { issue: issue.number })),
    ]);
    await h.settle();
    // and once more after everything settled: the re-run updates the existing PRs
    await h.receive('issue_comment', commentPayload(h.gh, body, { issue: issue.number }));
    await h.settle();
    expect(h.gh.pulls.map((p) => p.base).sort()).toEqual(['linux-6.18.y', 'linux-6.19.y']);
    expect(h.gh.called('pulls/create')).toHaveLength(2);
    expect(h.gh.called('pulls/update').length).toBeGreaterThanOrEqual(2);
    expect(summaries(issue.number)).toHaveLength(1);
  });

  it('bad config: one clear comment, however often it is triggered', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    h.gh.files.set('.github/stablebot.yml', 'labels:\n  backport: ""\nunknownKey: 1\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123456 to linux-6.19.y', { issue: issue.number }));
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123457 to linux-6.19.y', { issue: issue.number }));
    await h.settle();
    expect(h.gh.comments).toHaveLength(1);
    expect(h.gh.comments[0].body).toMatch(/stablebot cannot run here: \.github\/stablebot\.yml is invalid: .*labels\.backport.*unknownKey/s);
    expect(pipeline.calls).toHaveLength(0);
  });

  it('invalid YAML is reported the same way', async () => {
    await setup({});
    h.gh.files.set('.github/stablebot.yml', 'policy: [unclosed\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, '/backport help', { issue: issue.number }));
    await h.settle();
    expect(h.gh.comments).toHaveLength(1);
    expect(h.gh.comments[0].body).toMatch(/could not be read: .*invalid YAML/);
  });

  it("the bot's own comments and comments by other bots are ignored without any API call", async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123456 to linux-6.19.y', { login: 'stablebot[bot]' }));
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123456 to linux-6.19.y', { login: 'other-app', botSender: true }));
    await h.settle();
    expect(h.gh.calls).toEqual([]);
  });

  it('commands in code fences and quotes are ignored', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const body = 'To backport, write:\n```\n/backport 0123456 to linux-6.19.y\n```\n> /backport 0123456 to linux-6.19.y\n';
    await h.receive('issue_comment', commentPayload(h.gh, body));
    await h.settle();
    expect(h.gh.calls).toEqual([]);
  });

  it('hostile branch names are rejected with a clear message and never reach git', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const issue = h.gh.addIssue('x', 'y');
    const body = [
      '/backport 0123456 to --upload-pack=/tmp/evil',
      '/backport 0123456 to ../../../etc/passwd',
      '/backport 0123456 to linux-6.19.y\u2028--exec=id',
      '/backport 0123456 to linux/.hidden',
      '/backport skip $(reboot) because',
    ].join('\n');
    await h.receive('issue_comment', commentPayload(h.gh, body, { issue: issue.number }));
    await h.settle();
    expect(pipeline.calls).toHaveLength(0);
    expect(h.gh.comments).toHaveLength(1);
    const reply = h.gh.comments[0].body;
    expect(reply).toMatch(/stablebot did not run/);
    expect(reply).toMatch(/--upload-pack=\/tmp\/evil.*looks like an option/);
    expect(reply).toMatch(/etc\/passwd.*not a valid branch name/);
    expect(reply).toMatch(/control character or line break/);
    expect(reply).toMatch(/linux\/\.hidden.*not a valid branch name/);
    expect(reply).toMatch(/\$\(reboot\).*characters not allowed/);
  });

  it('needs-human: no PR; the summary carries the commands and prerequisites; the issue gets the label', async () => {
    await setup({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'needs-human' });
    const sha = await addMainlineCommit(mirror, 'frob: fix hard case\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${sha}`, { issue: issue.number }));
    await h.settle();
    expect(h.gh.pulls.map((p) => p.base)).toEqual(['linux-6.19.y']);
    const [summary] = summaries(issue.number);
    expect(summary.body).toMatch(/`linux-6.18.y` \| ❌ needs a human/);
    expect(summary.body).toContain(`git cherry-pick -x ${sha}`);
    expect(summary.body).toContain('0123456789ab ("frob: rewrite the segment loop")');
    expect(h.gh.issues[0].labels).toEqual(['needs-human']);
    expect(await new Git(mirror.bare).ok(['show-ref', '--verify', '--quiet', `refs/heads/stablebot/linux-6.18.y/${sha.slice(0, 12)}`])).toBe(false);
  });

  it('a backport whose diff has conflict markers is never published', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const sha = await addMainlineCommit(mirror, 'frob: oops\n', '<<<<<<< HEAD\n\tmapped = 0;\n=======\n\tmapped = 1;\n>>>>>>> theirs\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${sha} to linux-6.19.y`, { issue: issue.number }));
    await h.settle();
    expect(h.gh.pulls).toHaveLength(0);
    expect(summaries(issue.number)[0].body).toMatch(/conflict markers; not published/);
    expect(await new Git(mirror.bare).out(['for-each-ref', 'refs/heads/stablebot/'])).toBe('');
  });

  it('policy clean-only holds adapted backports back; report-only pushes nothing', async () => {
    await setup({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'adapted' });
    h.gh.files.set('.github/stablebot.yml', 'policy: clean-only\nlabels:\n  backport: backport-stable\n');
    const sha = await addMainlineCommit(mirror, 'frob: fix policy\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${sha}`, { issue: issue.number }));
    await h.settle();
    expect(h.gh.pulls.map((p) => [p.base, p.labels])).toEqual([['linux-6.19.y', ['backport-stable']]]);
    expect(summaries(issue.number)[0].body).toMatch(/`linux-6.18.y` \| ⏸️ not published \(policy\) \| adapted; policy clean-only/);

    h.gh.files.set('.github/stablebot.yml', 'policy: report-only\n');
    const other = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${sha}`, { issue: other.number }));
    await h.settle();
    expect(pipeline.calls.at(-1)?.dryRun).toBe(true);
    expect(h.gh.pulls).toHaveLength(1);
  });

  it('/backport help answers with the command list; /backport analyze posts the report', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const sha = await addMainlineCommit(mirror, 'frob: analyze me\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, `/backport help\n/backport analyze ${sha.slice(0, 12)}`, { issue: issue.number }));
    await h.settle();
    expect(h.gh.comments[0].body).toMatch(/stablebot commands/);
    expect(h.gh.comments[1].body).toMatch(/report for frob: analyze me: .*linux-6.19.y=clean/);
    expect(pipeline.calls[0].dryRun).toBe(true);
    expect(h.gh.pulls).toHaveLength(0);
  });

  it('an edited comment runs only the commands it gained', async () => {
    await setup({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'clean' });
    const sha = await addMainlineCommit(mirror, 'frob: edit\n');
    const issue = h.gh.addIssue('x', 'y');
    const first = `/backport ${sha} to linux-6.19.y`;
    await h.receive('issue_comment', commentPayload(h.gh, first, { issue: issue.number }));
    await h.settle();
    await h.receive('issue_comment', commentPayload(h.gh, `${first}\nthanks!`, { issue: issue.number, action: 'edited', from: first }));
    await h.settle();
    expect(pipeline.calls).toHaveLength(1);
    await h.receive('issue_comment', commentPayload(h.gh, `${first}\n/backport ${sha} to linux-6.18.y`, { issue: issue.number, action: 'edited', from: `${first}\nthanks!` }));
    await h.settle();
    expect(pipeline.calls.map((c) => c.branches)).toEqual([['linux-6.19.y'], ['linux-6.18.y']]);
  });

  it('/backport this on a merged PR backports its merge commit; on an unmerged one it explains', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const sha = await addMainlineCommit(mirror, 'frob: merged fix\n');
    const merged = h.gh.addPull({ head: 'topic', base: 'master', merged: true, state: 'closed', mergeCommitSha: sha });
    const open = h.gh.addPull({ head: 'topic2', base: 'master' });
    await h.receive('issue_comment', commentPayload(h.gh, '/backport this to linux-6.19.y', { issue: merged.number, pr: true }));
    await h.receive('issue_comment', commentPayload(h.gh, '/backport this to linux-6.19.y', { issue: open.number, pr: true }));
    await h.settle();
    expect(pipeline.calls.map((c) => c.input)).toEqual([{ kind: 'commit', rev: sha }]);
    expect(h.gh.comments.find((c) => c.issue === open.number)?.body).toMatch(/not merged yet/);
  });

  it('skip marks a branch in the summary and a later run keeps it skipped; retry <branch> runs it again', async () => {
    await setup({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'needs-human' });
    const sha = await addMainlineCommit(mirror, 'frob: skip me\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${sha}`, { issue: issue.number }));
    await h.settle();
    await h.receive('issue_comment', commentPayload(h.gh, '/backport skip linux-6.18.y the driver is not built there', { issue: issue.number }));
    await h.settle();
    let state = readSummaryState(summaries(issue.number)[0].body)!;
    expect(state.rows.find((r) => r.branch === 'linux-6.18.y')).toMatchObject({ status: 'skipped', note: 'by @maintainer: the driver is not built there' });
    await h.receive('issue_comment', commentPayload(h.gh, '/backport retry', { issue: issue.number }));
    await h.settle();
    state = readSummaryState(summaries(issue.number)[0].body)!;
    expect(state.rows.find((r) => r.branch === 'linux-6.18.y')?.status).toBe('skipped');
    await h.receive('issue_comment', commentPayload(h.gh, '/backport retry linux-6.18.y', { issue: issue.number }));
    await h.settle();
    state = readSummaryState(summaries(issue.number)[0].body)!;
    expect(state.rows.find((r) => r.branch === 'linux-6.18.y')?.status).toBe('needs-human');
    expect(pipeline.calls.map((c) => c.branches)).toEqual([['linux-*.y'], ['linux-*.y'], ['linux-6.18.y']]);
    expect(summaries(issue.number)).toHaveLength(1);
  });
});

describe('mails', () => {
  const MAIL = (sha: string) =>
    [
      '[PATCH AUTOSEL 6.19] frob: fix mapping leak',
      'From: Sasha Levin',
      `[ Upstream commit ${sha} ]`,
      'The error path leaked the mapping.',
      'Signed-off-by: Dev One <dev@example.org>',
      '---',
      'diff --git a/drivers/block/frob/map.c b/drivers/block/frob/map.c',
      '--- a/drivers/block/frob/map.c',
      '+++ b/drivers/block/frob/map.c',
      '@@ -12,3 +12,5 @@',
      '+\tif (!mapped)',
      '+\t\treturn -EIO;',
    ].join('\n');

  it('a patch mail pasted in a new issue runs the pipeline with a mail input', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    const sha = await addMainlineCommit(mirror, 'frob: fix mapping leak\n');
    const issue = h.gh.addIssue('[PATCH AUTOSEL 6.19] frob: fix mapping leak', MAIL(sha));
    await h.receive('issues', issuePayload(h.gh, issue.title, issue.body, { number: issue.number }));
    await h.settle();
    expect(pipeline.calls[0].input).toEqual({ kind: 'mail', text: MAIL(sha) });
    expect(h.gh.pulls.map((p) => p.title)).toEqual(['[6.19.y] frob: fix mapping leak']);
    expect(summaries(issue.number)).toHaveLength(1);
  });

  it('an issue without a patch is ignored; a stranger posting a patch is told a maintainer can run it', async () => {
    await setup({ 'linux-6.19.y': 'clean' });
    await h.receive('issues', issuePayload(h.gh, 'question', 'How do I build this?'));
    const issue = h.gh.addIssue('[PATCH] x', MAIL('0'.repeat(40)));
    await h.receive('issues', issuePayload(h.gh, issue.title, issue.body, { number: issue.number, login: 'stranger' }));
    await h.settle();
    expect(pipeline.calls).toHaveLength(0);
    expect(h.gh.comments.map((c) => c.body)).toEqual([expect.stringMatching(/a maintainer can run `\/backport this`/)]);
  });

  it('an mbox file named in a command is fetched through the contents API', async () => {
    await setup({ 'linux-6.18.y': 'adapted' });
    const sha = await addMainlineCommit(mirror, 'frob: fix mapping leak\n');
    h.gh.files.set('queue/frob-fix.mbox', MAIL(sha));
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, '/backport queue/frob-fix.mbox to linux-6.18.y\n/backport queue/missing.patch to linux-6.18.y', { issue: issue.number }));
    await h.settle();
    expect(pipeline.calls[0].input).toEqual({ kind: 'mail', text: MAIL(sha) });
    expect(h.gh.pulls.map((p) => p.base)).toEqual(['linux-6.18.y']);
    expect(h.gh.comments.find((c) => c.body.includes('did not run'))?.body).toMatch(/queue\/missing\.patch`: no such file/);
  });
});

describe('job failures', () => {
  it('an unexpected error is retried, then reported once on the thread', async () => {
    await setup({ 'linux-6.19.y': 'clean' }, {}, { failWith: () => new Error('disk full') });
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123456 to linux-6.19.y', { issue: issue.number }));
    await h.settle();
    expect(pipeline.calls).toHaveLength(2);
    expect(h.gh.comments.map((c) => c.body)).toEqual(['❌ stablebot could not finish `backport`: disk full (after 2 attempts)']);
  });

  it('a user error is reported at once, without retries', async () => {
    await setup({ 'linux-6.19.y': 'clean' }, {}, { failWith: () => new StablebotError('unknown-sha', 'no such commit: 0123456') });
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, '/backport 0123456 to linux-6.19.y', { issue: issue.number }));
    await h.settle();
    expect(pipeline.calls).toHaveLength(1);
    expect(h.gh.comments.map((c) => c.body)).toEqual(['❌ stablebot could not finish `backport`: no such commit: 0123456']);
  });

  it('a transient failure followed by success publishes normally', async () => {
    await setup({ 'linux-6.19.y': 'clean' }, {}, { failWith: () => new Error('network blip'), failures: 1 });
    const sha = await addMainlineCommit(mirror, 'frob: flaky\n');
    const issue = h.gh.addIssue('x', 'y');
    await h.receive('issue_comment', commentPayload(h.gh, `/backport ${sha} to linux-6.19.y`, { issue: issue.number }));
    await h.settle();
    expect(h.gh.pulls).toHaveLength(1);
    expect(h.gh.comments.filter((c) => c.body.includes('could not finish'))).toHaveLength(0);
  });
});
