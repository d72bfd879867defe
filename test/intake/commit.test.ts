import { describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { renderPatch } from '../../app/core/patch.ts';
import { readCommit } from '../../app/intake/commit.ts';
import { reposPerTest } from './helpers.ts';
import { FROB_PATH, frobAfter, frobBefore } from './kernel-files.ts';

const repo = reposPerTest();

const UPSTREAM = '4b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4';

describe('readCommit', () => {
  it('reads a stable backport: reference line, message, trailers and an exact diff', async () => {
    const r = await repo();
    await r.commit({ [FROB_PATH]: frobBefore }, 'frob: add range mapping');
    const sha = await r.commit(
      { [FROB_PATH]: frobAfter },
      `frob: fix partial mapping cleanup\n\n[ Upstream commit ${UPSTREAM} ]\n\nUndo the links on error.\n\nFixes: 0123456789ab ("frob: add range mapping")\nSigned-off-by: Ilse Varga <ilse@example.org>\nSigned-off-by: Sasha Levin <sashal@kernel.org>\n`,
      { name: 'Ilse Varga', email: 'ilse@example.org' },
    );
    // user configuration that would change git's output must not leak in
    await r.git.run(['config', 'diff.noprefix', 'true']);
    await r.git.run(['config', 'diff.context', '7']);
    const c = await readCommit(r.git, sha.slice(0, 10));
    expect(c).toMatchObject({
      kind: 'plain',
      sha,
      subject: 'frob: fix partial mapping cleanup',
      author: { name: 'Ilse Varga', email: 'ilse@example.org' },
      upstream: { sha: UPSTREAM, style: 'upstream-commit' },
      damage: { damaged: false, reasons: [] },
      targetVersions: [],
    });
    expect(c.message).toBe(
      'Undo the links on error.\n\nFixes: 0123456789ab ("frob: add range mapping")\nSigned-off-by: Ilse Varga <ilse@example.org>\nSigned-off-by: Sasha Levin <sashal@kernel.org>',
    );
    expect(c.trailers.fixes).toEqual([{ sha: '0123456789ab', subject: 'frob: add range mapping' }]);
    expect(c.files.map((f) => f.newPath)).toEqual([FROB_PATH]);
    expect(c.diffText).toMatch(/^diff --git a\/drivers\/frob\/frob-map\.c b\/drivers\/frob\/frob-map\.c\nindex [0-9a-f]{7,}\.\.[0-9a-f]{7,} 100644\n/);
    expect(renderPatch(c.files)).toBe(c.diffText);
    expect(await r.appliesTo(`${sha}^`, c.diffText)).toBe(true);
  });

  it('keeps renames, new, deleted and binary files re-appliable', async () => {
    const r = await repo();
    await r.commit({ 'lib/old-name.c': frobBefore, 'lib/gone.c': 'int gone;\n' }, 'base');
    await r.git.run(['mv', 'lib/old-name.c', 'lib/new-name.c']);
    await r.git.run(['rm', '-q', 'lib/gone.c']);
    const sha = await r.commit({ 'lib/fresh.c': 'int fresh;\n', 'firmware/blob.bin': Buffer.from([0, 1, 2, 255, 0, 9]).toString('latin1') }, 'lib: shuffle files');
    const c = await readCommit(r.git, sha);
    const byPath = new Map(c.files.map((f) => [f.newPath ?? f.oldPath, f]));
    expect(byPath.get('lib/new-name.c')).toMatchObject({ oldPath: 'lib/old-name.c', newPath: 'lib/new-name.c', hunks: [] });
    expect(byPath.get('lib/fresh.c')?.oldPath).toBeNull();
    expect(byPath.get('lib/gone.c')?.newPath).toBeNull();
    expect(byPath.get('firmware/blob.bin')?.binary).toBe(true);
    expect(await r.appliesTo(`${sha}^`, renderPatch(c.files))).toBe(true);
  });

  it('refuses unknown commits, bad revisions and merges with a StablebotError', async () => {
    const r = await repo();
    await r.commit({ 'a.c': 'int a;\n' }, 'base');
    await r.checkout('side', 'master');
    await r.commit({ 'b.c': 'int b;\n' }, 'side');
    await r.checkout('master');
    await r.commit({ 'c.c': 'int c;\n' }, 'main');
    await r.git.run(['merge', '-q', '--no-edit', 'side']);
    for (const rev of ['deadbeefdeadbeef', '--output=/tmp/x', 'HEAD']) {
      const err = await readCommit(r.git, rev).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StablebotError);
    }
  });
});
