/**
 * The seed's whitespace-damaged diff recovered on the fixture kernel mirror (fixtures/mirror/build.ts, written by
 * another helper). The mirror lacks the seed's upstream id, but carries a fix commit with the same subject and
 * author; with the subject changed, only the target branches' lines are left to rebuild from.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { renderPatch } from '../../app/core/patch.ts';
import { Git } from '../../app/git/git.ts';
import { readCommit } from '../../app/intake/commit.ts';
import { parseMail } from '../../app/intake/mail.ts';
import { recoverDiff } from '../../app/intake/recover.ts';
import { archiveMail, damage, hunkLines } from './helpers.ts';

const BUILD = new URL('../../fixtures/mirror/build.ts', import.meta.url);
const haveMirror = existsSync(BUILD);

function seedText(): string {
  const local = new URL('../../fixtures/seed/autosel-6.19-blk-rq-dma-map-iova.txt', import.meta.url);
  return readFileSync(existsSync(local) ? local : '/work/shared/seeds/autosel-6.19-blk-rq-dma-map-iova.txt', 'utf8');
}

describe.skipIf(!haveMirror)('recovering the seed on the fixture mirror', () => {
  let dir = '';
  let git: Git;
  const mail = parseMail(seedText());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stablebot-intake-mirror-'));
    const { buildMirror } = (await import(BUILD.href)) as { buildMirror: (dir: string) => Promise<unknown> };
    await buildMirror(dir);
    git = new Git(dir);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** the mirror's own fix commit, found independently of the engine: by its subject on the upstream branch */
  async function mirrorFix(): Promise<string> {
    const out = await git.out(['log', '--format=%H%x00%s', 'master']);
    const line = out.split('\n').find((l) => l.split('\0')[1] === mail.subject);
    expect(line).toBeDefined();
    return line!.split('\0')[0];
  }

  it('finds the fix by subject and author, exactly', async () => {
    expect(await git.tryResolve(mail.upstream!.sha)).toBeNull();
    const rec = await recoverDiff(mail, git, { branches: ['linux-6.17.y', 'linux-6.18.y', 'linux-6.19.y'], upstreamRef: 'master' });
    const fix = await mirrorFix();
    expect(rec).toMatchObject({ method: 'upstream-by-subject', confidence: 'exact', source: fix });
    expect(renderPatch(rec.files)).toBe((await readCommit(git, fix)).diffText);
  });

  it('rebuilds from the 6.19 lines when the subject finds nothing, equal to the real fix', async () => {
    const renamed = parseMail(seedText().replace(/^(\[PATCH AUTOSEL 6\.19\] )block: fix/, '$1block: repair'));
    expect(renamed.subject).not.toBe(mail.subject);
    const rec = await recoverDiff(renamed, git, { branches: ['linux-6.17.y', 'linux-6.18.y', 'linux-6.19.y'], upstreamRef: 'master' });
    const fix = await readCommit(git, await mirrorFix());
    if (rec.method === 'fixed-branch-post-image') {
      // a stable branch of the mirror already carries the fix: rebuilt from its file
      expect(hunkLines(rec.files)).toEqual(hunkLines(fix.files));
      return;
    }
    expect(rec).toMatchObject({ method: 'target-lines', confidence: 'high', source: 'linux-6.19.y' });
    expect(hunkLines(rec.files)).toEqual(hunkLines(fix.files));
  });

  it('refuses on branches without the context the fix needs (no attrs before 6.19)', async () => {
    const renamed = parseMail(seedText().replace(/^(\[PATCH AUTOSEL 6\.19\] )block: fix/, '$1block: repair'));
    const err = await recoverDiff(renamed, git, { branches: ['linux-6.17.y', 'linux-6.18.y'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StablebotError);
    expect((err as StablebotError).code).toBe('unrecoverable-diff');
  });

  it('damages every mirror commit that modifies C files and recovers it exactly, or refuses', async () => {
    const shas = (await git.out(['log', '--all', '--no-merges', '--format=%H', '--diff-filter=M', '--', '*.c', '*.h'])).trim().split('\n');
    const tally = { byId: 0, rebuilt: 0, refused: 0, wrong: [] as string[] };
    for (const sha of shas) {
      const real = await readCommit(git, sha);
      const damaged = damage(real.diffText);
      if (damaged === real.diffText) continue;
      const author = real.author ?? { name: 'x', email: 'x@example.org' };
      const mail = (upstream: string, subject: string) =>
        parseMail(archiveMail({ subject, version: '6.19', author, upstream, message: real.message || 'Body.', diff: damaged }));
      // by id: exact
      const byId = await recoverDiff(mail(sha, real.subject), git, { branches: [] });
      expect(byId.method).toBe('upstream-commit');
      expect(renderPatch(byId.files)).toBe(real.diffText);
      tally.byId++;
      // unknown id, unknown subject: rebuilt from the parent's lines, or refused; never wrong
      await git.run(['branch', '-f', 'probe', `${sha}^`]);
      const outcome = await recoverDiff(mail('f'.repeat(40), `probe: ${real.subject}`), git, { branches: ['probe'] }).catch((e: unknown) => e);
      if (outcome instanceof StablebotError) tally.refused++;
      else if (JSON.stringify(hunkLines((outcome as { files: never[] }).files)) === JSON.stringify(hunkLines(real.files))) tally.rebuilt++;
      else tally.wrong.push(sha);
    }
    expect(tally.wrong).toEqual([]);
    expect(tally.byId).toBeGreaterThan(10);
    expect(tally.rebuilt).toBeGreaterThan(0);
    console.log(`mirror sweep: ${tally.byId} damaged commits recovered by id; from parent lines ${tally.rebuilt} rebuilt exactly, ${tally.refused} refused, ${tally.wrong.length} wrong`);
  });
});
