/**
 * The sweep on the shared kernel-shaped mirror (fixtures/mirror) plus this folder's ~30 commits: the extension's
 * commits land in their classes, and the mirror's own scenarios (seed included) reach the branches its authors
 * expect to be affected (test data written independently of this engine).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareVersions, seriesOfBranch } from '../../app/core/version.ts';
import { SqliteStore } from '../../app/store/sqlite.ts';
import { runSweep } from '../../app/sweep/run.ts';
import type { SweepResult } from '../../app/sweep/types.ts';
import { buildMirror, type MirrorInfo } from '../../fixtures/mirror/build.ts';
import { extendForSweep, type SweepFixture } from '../../fixtures/sweep/extend.ts';

let tmp: string;
let info: MirrorInfo;
let fx: SweepFixture;
let result: SweepResult;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'stablebot-sweep-mirror-'));
  info = await buildMirror(join(tmp, 'mirror.git'));
  fx = await extendForSweep(info.dir);
  const mbox = join(tmp, 'autosel.mbox');
  writeFileSync(mbox, fx.mbox);
  const store = new SqliteStore(join(tmp, 'state.sqlite'));
  try {
    result = await runSweep({ repoDir: info.dir, since: fx.since, mboxFiles: [mbox], store });
  } finally {
    store.close();
  }
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const plannedFor = (sha: string) => {
  const c = result.candidates.find((x) => x.sha === sha);
  return c ? c.branches.filter((b) => b.selection !== 'not-affected').map((b) => b.branch).sort() : null;
};

describe('sweep on the kernel-shaped mirror', () => {
  it('selects the seed-shaped untagged fix as AUTOSEL-style for exactly the affected branches', () => {
    const seed = result.candidates.find((c) => c.sha === info.commits.seedFix.sha)!;
    expect(seed.class).toBe('autosel');
    const expected = Object.entries(info.expect.seed.branches).filter(([, b]) => b.outcome !== 'not-affected').map(([b]) => b).sort();
    expect(plannedFor(seed.sha)).toEqual(expected);
    expect(seed.reasons.join('\n')).toContain(`blamed lines come from ${info.commits.helper.sha.slice(0, 12)}`);
  });

  it("reaches the branches the mirror's scenarios say are affected", () => {
    for (const [name, sc] of Object.entries(info.expect)) {
      const expected = Object.entries(sc.branches).filter(([, b]) => b.outcome !== 'not-affected').map(([b]) => b).sort();
      expect(plannedFor(info.commits[sc.fix].sha), name).toEqual(expected);
    }
  });

  it('lets a Cc: stable hint win over Fixes: evidence, and says so for the branches it leaves out', () => {
    const hinted = Object.entries(info.expect).filter(([, sc]) => sc.stableHint);
    expect(hinted.length).toBeGreaterThan(0);
    for (const [name, sc] of hinted) {
      const min = /^(\d+\.\d+)\+$/.exec(sc.stableHint!)![1];
      const c = result.candidates.find((x) => x.sha === info.commits[sc.fix].sha)!;
      const affected = Object.entries(sc.branches).filter(([, b]) => b.outcome !== 'not-affected').map(([b]) => b);
      const below = affected.filter((b) => compareVersions(seriesOfBranch(b)!, min) < 0);
      expect(below.length, `${name}: the scenario has an affected branch below its hint`).toBeGreaterThan(0);
      for (const b of affected) {
        const plan = c.branches.find((p) => p.branch === b)!;
        if (below.includes(b)) {
          expect(plan.selection, `${name} ${b}`).toBe('excluded');
          expect(plan.why).toContain(`excluded by the Cc: stable hint # ${sc.stableHint} (the buggy code is present`);
        } else expect(plan.selection, `${name} ${b}`).toBe('target');
      }
    }
  });

  it('classifies every commit of the extension as built', () => {
    for (const e of fx.commits) {
      const c = result.candidates.find((x) => x.sha === e.sha);
      if (e.class === null) {
        expect(c, e.subject).toBeUndefined();
        continue;
      }
      expect(c?.class, e.subject).toBe(e.class);
      if (e.targets) expect(c!.branches.filter((b) => b.selection === 'target').map((b) => b.branch).sort(), e.subject).toEqual([...e.targets].sort());
      if (e.exclusion) expect(c!.reasons[0], e.subject).toMatch(e.exclusion);
    }
  });
});
