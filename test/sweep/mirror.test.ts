/**
 * The sweep on the shared kernel-shaped mirror (fixtures/mirror) plus this folder's ~30 commits: the extension's
 * commits land in their classes, and the mirror's own scenarios (seed included) reach the branches its authors
 * expect to be affected (test data written independently of this engine).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
