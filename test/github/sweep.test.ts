/**
 * Sweeps through the App: `/backport sweep` by a maintainer runs the real sweep over the local clone, keeps its
 * cursor in the App's SQLite store, writes ONE tracking issue per stable branch (edited in place by the next sweep)
 * and enqueues the selected candidates as backport jobs; a read-only user is refused; the schedule is off unless
 * STABLEBOT_SWEEP_CRON is set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Probot } from 'probot';
import { createApp } from '../../app/github/app.ts';
import { defaultConfig } from '../../app/github/config.ts';
import { trackingMarker, trackingTitle } from '../../app/github/sweep.ts';
import { Git } from '../../app/git/git.ts';
import { repoKeyOf, SqliteStore } from '../../app/store/sqlite.ts';
import { addMainlineCommit, addMainlineFile, buildSmallMirror, fakePipeline, type FakePipeline, type Mirror } from './git-fixture.ts';
import { commentPayload, makeHarness, type Harness } from './harness.ts';

const FIX = (subject: string, trailers: string) => `${subject}\n\nThe error path leaked the mapping.\n\n${trailers}\nSigned-off-by: Dev One <dev@example.org>\n`;

let mirror: Mirror;
let h: Harness | null = null;
let pipeline: FakePipeline;
let dataDir: string;

async function setup(opts: { sweepCron?: string; versions?: string[]; before?: () => Promise<void> } = {}) {
  mirror = await buildSmallMirror(opts.versions);
  dataDir = await mkdtemp(join(tmpdir(), 'stablebot-gh-data-'));
  await opts.before?.();
  pipeline = fakePipeline({ 'linux-6.19.y': 'clean', 'linux-6.18.y': 'clean', 'linux-6.17.y': 'needs-human' });
  h = await makeHarness({ app: { pipeline, gitUrlFor: () => mirror.bare, dataDir, sweepCron: opts.sweepCron }, fake: { bareDir: mirror.bare } });
  h.gh.permissions.set('maintainer', 'maintain');
  h.gh.permissions.set('reader', 'read');
}

beforeEach(() => {
  h = null;
});

afterEach(async () => {
  if (h) {
    await h.settle();
    expect(h.gh.violations).toEqual([]);
    h.app.close();
    await h.cleanup();
  }
  await mirror?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const trackingIssues = () => h!.gh.issues.filter((i) => i.title.startsWith('stablebot: candidates for '));

describe('/backport sweep', () => {
  it('writes one tracking issue per stable branch, edits them in place on the next sweep, and enqueues backports', async () => {
    await setup();
    const thread = h!.gh.addIssue('Stable sweeps', 'Sweeps are requested here.');
    const fix1 = await addMainlineCommit(mirror, FIX('frob: unmap the segments on error', 'Cc: stable@vger.kernel.org'));
    await addMainlineFile(mirror, 'Documentation/frob.rst', 'docs: frob: describe the ring');

    await h!.receive('issue_comment', commentPayload(h!.gh, '/backport sweep', { issue: thread.number }));
    await h!.settle();

    const branches = ['linux-6.12.y', 'linux-6.17.y', 'linux-6.18.y', 'linux-6.19.y'];
    expect(trackingIssues().map((i) => i.title).sort()).toEqual(branches.map(trackingTitle).sort());
    const issue619 = trackingIssues().find((i) => i.title === trackingTitle('linux-6.19.y'))!;
    expect(issue619.body).toContain(trackingMarker('linux-6.19.y'));
    const row1 = issue619.body.split('\n').find((l) => l.includes(fix1.slice(0, 12)))!;
    expect(row1).toContain('**tagged**');
    expect(row1).toContain('Cc: stable');
    expect(issue619.labels).toEqual(['stable-backport']);

    // the candidate went to the backport queue, for the branches the sweep selected, as a push would
    expect(pipeline.calls.map((c) => c.input)).toEqual([{ kind: 'commit', rev: fix1 }]);
    expect(pipeline.calls[0].branches?.sort()).toEqual(branches.slice().sort());
    expect(h!.gh.pulls.map((p) => p.base).sort()).toEqual(['linux-6.18.y', 'linux-6.19.y']);
    const reply = h!.gh.comments.find((c) => c.issue === thread.number && c.body.includes('<!-- stablebot:sweep -->'))!;
    expect(reply.body).toContain(`- linux-6.19.y: #${issue619.number}`);
    expect(reply.body).toMatch(/1 candidate queued for backport/);

    // second sweep: only the new commit is swept (cursor in the store); the same issues are edited, none added
    const fix2 = await addMainlineCommit(mirror, FIX('frob: check the mapping before use', 'Cc: stable@vger.kernel.org # 6.18+'), '\tif (!iter.addr)\n\t\treturn -EIO;\n');
    const updatesBefore = h!.gh.called('issues/update').length;
    await h!.receive('issue_comment', commentPayload(h!.gh, '/backport sweep', { issue: thread.number }));
    await h!.settle();
    expect(trackingIssues()).toHaveLength(4);
    expect(h!.gh.called('issues/create').filter((c) => String((c.body as { title: string }).title).startsWith('stablebot: candidates')).length).toBe(4);
    expect(h!.gh.called('issues/update').length).toBeGreaterThan(updatesBefore);
    const after619 = trackingIssues().find((i) => i.number === issue619.number)!;
    expect(after619.body).toContain(fix2.slice(0, 12));
    // the first candidate stays listed, now with the backport's outcome and PR link
    const pr619 = h!.gh.pulls.find((p) => p.base === 'linux-6.19.y' && p.head.endsWith(fix1.slice(0, 12)))!;
    const row1again = after619.body.split('\n').find((l) => l.includes(fix1.slice(0, 12)))!;
    expect(row1again).toContain('clean');
    expect(row1again).toContain(`[#${pr619.number}](${`https://github.com/${h!.gh.owner}/${h!.gh.repo}/pull/${pr619.number}`})`);
    // the hint "# 6.18+" keeps the second fix out of the older branches' tables
    const after617 = trackingIssues().find((i) => i.title === trackingTitle('linux-6.17.y'))!;
    const rows = (body: string) => body.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows(after617.body).some((l) => l.includes(fix2.slice(0, 12)))).toBe(false);
    expect(rows(after617.body).some((l) => l.includes(fix1.slice(0, 12)))).toBe(true);
    expect(pipeline.calls.at(-1)!.branches?.sort()).toEqual(['linux-6.18.y', 'linux-6.19.y']);

    // the cursor and candidates live in the App's data directory
    const store = new SqliteStore(join(dataDir, 'state.sqlite'));
    try {
      const repoKey = await repoKeyOf(new Git(join(h!.workdir, h!.gh.owner, h!.gh.repo)));
      expect((await store.listCandidates(repoKey)).map((c) => c.sha).sort()).toEqual([fix1, fix2].sort());
      expect(await store.getCursor(repoKey, 'master')).toBe((await mirror.src.out(['rev-parse', 'master'])).trim());
    } finally {
      store.close();
    }
  });

  it('refuses a read-only user and runs nothing', async () => {
    await setup();
    const thread = h!.gh.addIssue('Stable sweeps', 'Sweeps are requested here.');
    await addMainlineCommit(mirror, FIX('frob: unmap the segments on error', 'Cc: stable@vger.kernel.org'));
    await h!.receive('issue_comment', commentPayload(h!.gh, '/backport sweep', { issue: thread.number, login: 'reader' }));
    await h!.settle();
    expect(trackingIssues()).toEqual([]);
    expect(pipeline.calls).toEqual([]);
    const refusal = h!.gh.comments.find((c) => c.issue === thread.number)!;
    expect(refusal.body).toMatch(/only people with write, maintain or admin permission/);
  });
});

describe('a restart with STABLEBOT_DATA_DIR', () => {
  it('resumes the jobs a previous process left queued in the store', async () => {
    const thread = 100;
    await setup({
      // the previous process: a `/backport sweep` job saved, never run (the process was killed)
      before: async () => {
        await addMainlineCommit(mirror, FIX('frob: unmap the segments on error', 'Cc: stable@vger.kernel.org'));
        const previous = new SqliteStore(join(dataDir, 'state.sqlite'));
        const repo = { owner: 'Codertocat', repo: 'Hello-World', cloneUrl: mirror.bare, installationId: 4242 };
        const payload = { repo, config: defaultConfig(), issue: thread };
        await previous.save({ id: 'job-1', kind: 'sweep', queueKey: `${repo.owner}/${repo.repo}`, payload, attempts: 0, state: 'queued', createdAt: new Date().toISOString() });
        previous.close();
      },
    });
    await h!.settle();
    expect(trackingIssues()).toHaveLength(4);
    expect(pipeline.calls).toHaveLength(1);
    expect(h!.gh.comments.find((c) => c.issue === thread)?.body).toContain('<!-- stablebot:sweep -->');
    const store = new SqliteStore(join(dataDir, 'state.sqlite'));
    try {
      expect(await store.pending()).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('scheduled sweeps', () => {
  it('are off when STABLEBOT_SWEEP_CRON is unset', async () => {
    const saved = process.env.STABLEBOT_SWEEP_CRON;
    delete process.env.STABLEBOT_SWEEP_CRON;
    try {
      await setup();
      expect(h!.app.sweepSchedule()).toBeNull();
    } finally {
      if (saved !== undefined) process.env.STABLEBOT_SWEEP_CRON = saved;
    }
  });

  it('are planned when a cron expression is set, and a bad one is refused with one clear line', async () => {
    await setup({ sweepCron: '0 3 * * *' });
    const next = h!.app.sweepSchedule()!.nextRun()!;
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getMinutes()).toBe(0);
    const bad = createApp({ sweepCron: 'every now and then' });
    expect(() => bad(new Probot({ appId: 1, privateKey: 'x', secret: 's' }))).toThrow(/STABLEBOT_SWEEP_CRON is not a cron expression/);
    bad.close();
  });
});
