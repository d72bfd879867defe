/**
 * Acceptance on the fixture mirror: every scenario (the seed and seven other upstream fixes) through the real
 * pipeline, compared with the mirror's expectation table. Nothing here names a SHA or an identifier: the table
 * (fixtures/mirror/expectations.ts) says what a correct engine concludes, the engine has to find it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackportReport, BranchOutcome } from '../../app/core/backport.ts';
import { compareVersions, seriesOfBranch } from '../../app/core/version.ts';
import { backport } from '../../app/pipeline/backport.ts';
import type { MirrorInfo, ScenarioExpectation } from '../../fixtures/mirror/build.ts';
import { freshMirror, repoState } from './helpers.ts';

let m: Awaited<ReturnType<typeof freshMirror>>;
const reports = new Map<string, BackportReport>();

beforeAll(async () => {
  m = await freshMirror();
  for (const [name, sc] of Object.entries(m.info.expect)) {
    reports.set(name, await backport({ repoDir: m.git.dir, input: { kind: 'commit', rev: m.info.commits[sc.fix].sha } }));
  }
}, 300_000);
afterAll(() => m?.dispose());

/** The outcome stablebot must give: the table's, except that a `Cc: stable # X.Y+` hint is respected. */
function wanted(sc: ScenarioExpectation, branch: string): BranchOutcome {
  const e = sc.branches[branch];
  const series = seriesOfBranch(branch);
  const min = sc.stableHint?.replace(/\+$/, '');
  if (min && series && compareVersions(series, min) < 0 && e.outcome !== 'not-affected') return 'skipped';
  return e.outcome;
}

const sha = (info: MirrorInfo, key: string) => info.commits[key].sha;

describe('every fixture scenario through analyze + backport', () => {
  it('gives each branch the expected outcome', () => {
    const got: Record<string, Record<string, string>> = {};
    const want: Record<string, Record<string, string>> = {};
    for (const [name, sc] of Object.entries(m.info.expect)) {
      const r = reports.get(name)!;
      got[name] = Object.fromEntries(r.results.map((x) => [x.branch, x.outcome]));
      want[name] = Object.fromEntries(Object.keys(sc.branches).map((b) => [b, wanted(sc, b)]));
    }
    expect(got).toEqual(want);
  });

  it('finds the introducing commits: blame for the untagged seed, the Fixes: tag otherwise', () => {
    for (const [name, sc] of Object.entries(m.info.expect)) {
      const p = reports.get(name)!.provenance;
      expect(p.introducedBy.map((c) => c.sha).sort(), name).toEqual(sc.introducedBy.map((k) => sha(m.info, k)).sort());
      const fixMsg = m.info.commits[sc.fix].subject;
      expect(p.introducedBy.every((c) => c.how === (name === 'seed' ? 'blame' : 'fixes-tag')), `${name}: ${fixMsg}`).toBe(true);
    }
    const seed = reports.get('seed')!.provenance;
    expect(seed.introducedBy[0].firstRelease).toBe('v6.17');
    // the commit that added `attrs` shaped the context only; it is not the bug
    expect(seed.contextCommits.map((c) => c.sha)).toContain(sha(m.info, 'attrs'));
  });

  it('adapts exactly as the table says, and names each adaptation in the commit message', () => {
    for (const [name, sc] of Object.entries(m.info.expect)) {
      for (const r of reports.get(name)!.results) {
        const e = sc.branches[r.branch];
        if (r.outcome !== 'adapted') continue;
        const subs = Object.fromEntries(r.adaptations.filter((a) => a.params.from !== undefined && a.params.to !== undefined && !a.params.fromPath).map((a) => [a.params.from, a.params.to]));
        if (e.substitutions) expect(subs, `${name} ${r.branch}`).toEqual(e.substitutions);
        if (e.paths) {
          const moved = r.adaptations.filter((a) => a.rule === 'file-moved');
          expect(moved.length, `${name} ${r.branch}`).toBeGreaterThan(0);
          expect(r.commitMessage).toContain(Object.values(e.paths)[0]);
        }
        for (const a of r.adaptations) expect(r.commitMessage).toContain(`[ ${a.note} ]`);
        expect(r.interdiff, `${name} ${r.branch}`).toBeTruthy();
      }
    }
  });

  it('names the prerequisite when code was rewritten upstream, with the FAILED-mail commands', () => {
    for (const [name, sc] of Object.entries(m.info.expect)) {
      for (const r of reports.get(name)!.results) {
        const e = sc.branches[r.branch];
        if (!e.prerequisites) continue;
        expect(r.outcome).toBe('needs-human');
        for (const k of e.prerequisites) {
          expect(r.failure!.prerequisites, `${name} ${r.branch}`).toContain(`${sha(m.info, k).slice(0, 12)} ("${m.info.commits[k].subject}")`);
        }
        expect(r.failure!.commands).toContain(`git cherry-pick -x ${sha(m.info, sc.fix)}`);
        expect(r.backportBranch).toBeNull();
      }
    }
  });

  it('seed: 6.17.y and 6.18.y get exactly the hand-written expected file', async () => {
    for (const branch of ['linux-6.17.y', 'linux-6.18.y']) {
      const r = reports.get('seed')!.results.find((x) => x.branch === branch)!;
      const got = await m.git.show(r.backportBranch!, 'block/blk-mq-dma.c');
      const want = readFileSync(join(import.meta.dirname, '../../fixtures/expected', branch, 'block/blk-mq-dma.c'), 'utf8');
      expect(got).toBe(want);
      const msg = r.commitMessage!;
      expect(msg.split('\n')[2]).toBe(`[ Upstream commit ${sha(m.info, 'seedFix')} ]`);
      expect(msg).toMatch(/\[ `attrs` .*introduced by [0-9a-f]{12} \("block: pass DMA attributes/);
      // original author kept, bot as committer
      const who = (await m.git.out(['show', '-s', '--format=%an|%cn', r.backportBranch!])).trim();
      expect(who).toBe('Chaitanya Kulkarni|stablebot');
    }
  });

  it('leaves no worktree, lock or index file behind and keeps the work tree clean; a re-run changes nothing', async () => {
    const before = await repoState(m.git);
    expect(before).not.toMatch(/\.lock|index\.stablebot/);
    const again = await backport({ repoDir: m.git.dir, input: { kind: 'commit', rev: sha(m.info, 'seedFix') } });
    expect(again.results.map((r) => r.commit)).toEqual(reports.get('seed')!.results.map((r) => r.commit));
    expect(await repoState(m.git)).toBe(before);
    const status = await m.git.out(['status', '--porcelain']);
    expect(status).toBe('');
  });
});

describe('variants of the seed branch history', () => {
  const cases = [
    { kind: 'fixed-by-reference' as const, branch: 'linux-6.17.y', status: 'already-fixed', via: 'reference' },
    { kind: 'fixed-identical-no-reference' as const, branch: 'linux-6.19.y', status: 'already-fixed', via: 'patch-id' },
    { kind: 'bug-rewritten' as const, branch: 'linux-6.18.y', status: 'not-affected', via: undefined },
  ];
  for (const c of cases) {
    it(`${c.kind} on ${c.branch} → ${c.status}${c.via ? ` by ${c.via}` : ''}, and no new branch`, async () => {
      const v = await freshMirror([{ kind: c.kind, branch: c.branch }], true);
      try {
        const rep = await backport({ repoDir: v.git.dir, input: { kind: 'commit', rev: sha(v.info, 'seedFix') } });
        const verdict = rep.provenance.branches.find((b) => b.branch === c.branch)!;
        expect(verdict.status).toBe(c.status);
        if (c.via) {
          expect(verdict.fixedBy?.via).toBe(c.via);
          expect(verdict.fixedBy?.sha).toBe(sha(v.info, `${c.kind}@${c.branch}`));
          expect(verdict.evidence.some((e) => e.result.includes(sha(v.info, `${c.kind}@${c.branch}`).slice(0, 12)))).toBe(true);
        } else {
          expect(verdict.summary).toMatch(/buggy lines are gone/);
        }
        const r = rep.results.find((x) => x.branch === c.branch)!;
        expect(r.backportBranch).toBeNull();
        expect(await v.git.tryResolve(`stablebot/${c.branch}/${sha(v.info, 'seedFix').slice(0, 12)}`)).toBeNull();
        // the other branches are not disturbed by the variant
        expect(rep.results.find((x) => x.branch === 'linux-6.12.y')!.outcome).toBe('not-affected');
      } finally {
        v.dispose();
      }
    });
  }
});
