/**
 * The sweep's staged, cached, in-memory-replayed blame must name the same commits as one plain
 * `git blame <oldest-fork>..<fix^>` does, on histories with random edits, a side branch merged back and several
 * fork points; and it must need fewer git processes than one blame per fix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Git } from '../../app/git/git.ts';
import { walkLog, type WalkedCommit } from '../../app/index/logwalk.ts';
import { parseDiff } from '../../app/intake/diff.ts';
import { hunkLineRoles } from '../../app/provenance/blame.ts';
import { parsePorcelain } from '../../app/git/blame.ts';
import { blobsOfDiff, mapThroughHunks, SweepBlame } from '../../app/sweep/blame.ts';
import { prng } from '../../bench/sweep/setup.ts';
import { Committer } from '../../fixtures/sweep/commit.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function driverFile(lines: string[]): string {
  return lines.join('\n') + '\n';
}

/** one random edit: replace, insert or delete a few lines */
function edit(lines: string[], rand: () => number, tag: string): string[] {
  const out = [...lines];
  const at = Math.floor(rand() * out.length);
  const kind = rand();
  if (kind < 0.4) out.splice(at, 1, `\tfrob_${tag}_changed(dev);`);
  else if (kind < 0.8) out.splice(at, 0, `\tif (!dev->ring_${tag})`, `\t\treturn -ENOMEM;`);
  else if (out.length > 8) out.splice(at, Math.min(2, out.length - at));
  else out.push(`\tfrob_${tag}_tail(dev);`);
  return out;
}

async function history(seed: number) {
  const dir = mkdtempSync(join(tmpdir(), 'stablebot-sweep-blame-'));
  dirs.push(dir);
  const c = new Committer(dir);
  await c.init();
  const rand = prng(seed);
  const path = 'drivers/frob/ring.c';
  let lines = Array.from({ length: 24 }, (_, i) => (i % 6 === 0 ? `static int frob_step_${i}(struct frob_dev *dev)` : `\tfrob_op_${i}(dev);`));
  const forks: string[] = [];
  for (let f = 0; f < 3; f++) {
    for (let k = 0; k < 4; k++) {
      lines = edit(lines, rand, `f${f}k${k}`);
      await c.commit('master', { message: `frob: cycle ${f} change ${k}`, files: { [path]: driverFile(lines) } });
    }
    forks.push((await c.tip('master'))!);
  }
  const since = forks[2];
  for (let k = 0; k < 14; k++) {
    if (k === 6) {
      // a side branch of two commits, merged back after one more mainline commit elsewhere
      await c.branch('side', (await c.tip('master'))!);
      let side = lines;
      for (let s = 0; s < 2; s++) {
        side = edit(side, rand, `side${s}`);
        await c.commit('side', { message: `frob: side ${s}`, files: { [path]: driverFile(side) } });
      }
      await c.commit('master', { message: 'other: unrelated', files: { 'other.c': `${k}\n` } });
      lines = side;
      await c.commit('master', { message: 'Merge branch side', files: { [path]: driverFile(lines) }, merge: [(await c.tip('side'))!] });
      continue;
    }
    lines = edit(lines, rand, `r${k}`);
    await c.commit('master', { message: `frob: range change ${k}`, files: { [path]: driverFile(lines) } });
  }
  c.dispose();
  const git = new Git(dir);
  const range: WalkedCommit[] = [];
  await walkLog(git, ['master', `^${since}`], { withDiff: true, reverse: true, topoOrder: true, onCommit: (x) => range.push(x) });
  return { git, forks, range, path };
}

async function plainBlame(git: Git, oldest: string, fix: WalkedCommit): Promise<string[]> {
  const out = new Set<string>();
  for (const f of parseDiff(fix.diff!).files) {
    if (!f.oldPath) continue;
    for (const h of f.hunks) {
      for (const r of hunkLineRoles(h)) {
        if (r.role === 'context') continue;
        const n = h.oldStart + r.offset;
        const text = await git.out(['blame', '--porcelain', '-L', `${n},${n}`, `${oldest}..${fix.parents[0]}`, '--', f.oldPath]);
        const [l] = parsePorcelain(text);
        out.add(l.boundary ? oldest : l.commit);
      }
    }
  }
  return [...out].sort();
}

describe('sweep blame', () => {
  for (const seed of [1, 7, 42]) {
    it(`names the commits a plain bounded git blame names (seed ${seed})`, async () => {
      const { git, forks, range } = await history(seed);
      const blame = new SweepBlame(git, { newest: forks[2], oldest: forks[0] }, range);
      let checked = 0;
      for (const fix of range) {
        if (fix.parents.length !== 1 || !fix.diff) continue;
        const files = parseDiff(fix.diff).files;
        const ours = (await blame.introducers(fix, files, ['removed', 'insertion-neighbour'])).sort();
        expect(ours, fix.message.split('\n')[0]).toEqual(await plainBlame(git, forks[0], fix));
        checked++;
      }
      expect(checked).toBeGreaterThan(10);
      // the replay answers lines written inside the range without git, and old lines are asked once
      expect(blame.stats.replayed).toBeGreaterThan(0);
      expect(blame.stats.processes).toBeLessThan(checked * 2);
    });
  }
});

describe('blame helpers', () => {
  it('maps post-image lines through hunks', () => {
    const diff = ['diff --git a/f.c b/f.c', 'index 1111111..2222222 100644', '--- a/f.c', '+++ b/f.c', '@@ -2,3 +2,4 @@', ' b', '-c', '+C', '+C2', ' d', '@@ -10,0 +12,1 @@', '+z', ''].join('\n');
    const [f] = parseDiff(diff).files;
    expect(mapThroughHunks(f.hunks, 1)).toEqual({ added: false, pre: 1 });
    expect(mapThroughHunks(f.hunks, 2)).toEqual({ added: false, pre: 2 });
    expect(mapThroughHunks(f.hunks, 3)).toEqual({ added: true });
    expect(mapThroughHunks(f.hunks, 5)).toEqual({ added: false, pre: 4 });
    expect(mapThroughHunks(f.hunks, 11)).toEqual({ added: false, pre: 10 });
    expect(mapThroughHunks(f.hunks, 12)).toEqual({ added: true });
    expect(mapThroughHunks(f.hunks, 13)).toEqual({ added: false, pre: 11 });
    expect(blobsOfDiff(diff).get('f.c')).toEqual(['1111111', '2222222']);
  });
});
