import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { Git } from '../../app/git/git.ts';
import { patchIdOf, ReferenceIndex } from '../../app/index/refindex.ts';
import { SqliteStore } from '../../app/store/sqlite.ts';
import { Committer } from '../../fixtures/sweep/commit.ts';

const FILE = (n: number) => Array.from({ length: 40 }, (_, i) => `\tint v${i} = ${i * n};`).join('\n') + '\n';

let dir: string;
let c: Committer;
let git: Git;
const up: Record<string, string> = {};

/** a stable branch with one backport per reference style, and one copy carrying no reference at all */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stablebot-index-'));
  c = new Committer(dir);
  git = c.git;
  await c.init();
  const root = await c.commit('master', { message: 'Linux 6.18', files: { 'lib/a.c': FILE(1), 'lib/b.c': FILE(2) } });
  await c.branch('linux-6.18.y', root);
  for (const [name, old, neu] of [
    ['one', 'int v3 = 3;', 'int v3 = 33;'],
    ['two', 'int v9 = 9;', 'int v9 = 99;'],
    ['three', 'int v20 = 20;', 'int v20 = 220;'],
    ['four', 'int v30 = 30;', 'int v30 = 330;'],
    ['five', 'int v36 = 36;', 'int v36 = 336;'],
  ] as const) {
    up[name] = await c.commit('master', { message: `lib: fix ${name}\n\nSigned-off-by: A <a@example.org>`, files: { 'lib/a.c': await c.edit('master', 'lib/a.c', old, neu) } });
    up[`${name}:edit`] = JSON.stringify([old, neu]);
  }
  const pick = async (name: string, ref: string | null) => {
    const [old, neu] = JSON.parse(up[`${name}:edit`]) as [string, string];
    return c.commit('linux-6.18.y', {
      message: `lib: fix ${name}\n\n${ref ?? ''}\n\nSigned-off-by: Stable <s@example.org>`,
      files: { 'lib/a.c': await c.edit('linux-6.18.y', 'lib/a.c', old, neu) },
    });
  };
  up['b:one'] = await pick('one', `commit ${up.one} upstream.`);
  up['b:two'] = await pick('two', `[ Upstream commit ${up.two} ]`);
  up['b:three'] = await pick('three', `(cherry picked from commit ${up.three})`);
  up['b:four'] = await pick('four', `This is upstream commit ${up.four}, adjusted for 6.18.`);
  up['b:five'] = await pick('five', null);
});

afterAll(() => {
  c.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function openIndex(file = 'state.sqlite', upstreamBranch = 'master') {
  const store = new SqliteStore(join(dir, '.git', file));
  return { store, index: await ReferenceIndex.forRepo(git, { store, upstreamBranch }) };
}

describe('ReferenceIndex', () => {
  it('maps every reference style and the patch-ids of a branch in one build', async () => {
    const { store, index } = await openIndex('build.sqlite');
    const u = await index.update('linux-6.18.y');
    expect(u).toMatchObject({ branch: 'linux-6.18.y', added: 5, rebuilt: true });
    expect(index.byUpstream('linux-6.18.y', up.one)).toEqual([{ commit: up['b:one'], style: 'commit-upstream' }]);
    expect(index.byUpstream('linux-6.18.y', up.two)).toEqual([{ commit: up['b:two'], style: 'upstream-commit' }]);
    expect(index.byUpstream('linux-6.18.y', up.three)).toEqual([{ commit: up['b:three'], style: 'cherry-picked' }]);
    // the CVE rule: first full SHA on the first line that says "upstream"
    expect(index.byUpstream('linux-6.18.y', up.four).map((r) => r.commit)).toEqual([up['b:four']]);
    expect(index.byUpstream('linux-6.18.y', up.five)).toEqual([]);
    // the unmarked copy is found by patch-id, computed the same way as for a single commit
    const pid = await patchIdOf(git, up.five);
    expect(pid).toMatch(/^[0-9a-f]{40}$/);
    expect(index.byPatchId('linux-6.18.y', pid!)).toEqual([up['b:five']]);
    for (const name of ['one', 'two', 'three', 'four']) {
      expect(index.byPatchId('linux-6.18.y', (await patchIdOf(git, up[name]))!)).toEqual([up[`b:${name}`]]);
    }
    // upstream commits are not part of the branch's own history
    expect(index.byUpstream('linux-6.18.y', up.one).some((r) => r.commit === up.one)).toBe(false);
    index.close();
    store.close();
  });

  it('reloads from the store and updates incrementally from the last tip', async () => {
    let { store, index } = await openIndex('incr.sqlite');
    await index.update('linux-6.18.y');
    index.close();
    store.close();
    ({ store, index } = await openIndex('incr.sqlite'));
    // answered from the store before any git walk
    expect(index.byUpstream('linux-6.18.y', up.two)).toHaveLength(1);
    expect(await index.update('linux-6.18.y')).toMatchObject({ added: 0, rebuilt: false });
    const six = await c.commit('master', { message: 'lib: fix six', files: { 'lib/b.c': await c.edit('master', 'lib/b.c', 'int v5 = 10;', 'int v5 = 11;') } });
    const pick = await c.commit('linux-6.18.y', {
      message: `lib: fix six\n\n[ Upstream commit ${six} ]\n`,
      files: { 'lib/b.c': await c.edit('linux-6.18.y', 'lib/b.c', 'int v5 = 10;', 'int v5 = 11;') },
    });
    expect(await index.update('linux-6.18.y')).toMatchObject({ added: 1, rebuilt: false });
    expect(index.byUpstream('linux-6.18.y', six)).toEqual([{ commit: pick, style: 'upstream-commit' }]);
    expect(index.byUpstream('linux-6.18.y', up.one)).toHaveLength(1);
    // rewrite the branch: drop the last two commits, add another one
    await git.run(['update-ref', 'refs/heads/linux-6.18.y', `${pick}~2`]);
    await c.commit('linux-6.18.y', { message: `lib: fix six again\n\ncommit ${six} upstream.\n`, files: { 'lib/b.c': '/* rewritten */\n' } });
    const r = await index.update('linux-6.18.y');
    expect(r).toMatchObject({ added: 5, rebuilt: true });
    expect(index.byUpstream('linux-6.18.y', six)[0].style).toBe('commit-upstream');
    expect(index.byPatchId('linux-6.18.y', (await patchIdOf(git, up.five))!)).toEqual([]);
    index.close();
    store.close();
    // the rebuild is what a fresh process sees too
    ({ store, index } = await openIndex('incr.sqlite'));
    expect(index.byUpstream('linux-6.18.y', up.five)).toEqual([]);
    expect(index.byUpstream('linux-6.18.y', six)).toHaveLength(1);
    index.close();
    store.close();
  });

  it('indexes every commit of a branch when the mirror has no upstream branch', async () => {
    const { store, index } = await openIndex('mirror.sqlite', 'no-such-upstream');
    const total = (await git.out(['rev-list', '--count', 'linux-6.18.y'])).trim();
    const r = await index.update('linux-6.18.y');
    expect(r.added).toBe(Number(total));
    expect(index.byUpstream('linux-6.18.y', up.three)).toHaveLength(1);
    index.close();
    store.close();
  });

  it('rejects unknown branches with a StablebotError and changes nothing', async () => {
    const { store, index } = await openIndex('bad.sqlite');
    await expect(index.update('linux-9.9.y')).rejects.toBeInstanceOf(StablebotError);
    await expect(index.update('--all')).rejects.toBeInstanceOf(StablebotError);
    expect(await store.indexedBranches(index.repo)).toEqual([]);
    index.close();
    store.close();
  });

  it('patchIdOf: null for a merge, an error for an unknown commit', async () => {
    const side = await c.commit('side', { message: 'side root', files: { 'x.c': 'x\n' } });
    await c.branch('m', up.one);
    const merge = await c.commit('m', { message: 'Merge side', merge: [side], files: { 'x.c': 'x\n' } });
    expect(await patchIdOf(git, merge)).toBeNull();
    await expect(patchIdOf(git, 'f'.repeat(40))).rejects.toBeInstanceOf(StablebotError);
  });
});
