import { describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { renderPatch } from '../../app/core/patch.ts';
import { parseDiff } from '../../app/intake/diff.ts';
import { parseMail } from '../../app/intake/mail.ts';
import { recoverDiff } from '../../app/intake/recover.ts';
import { archiveMail, damage, hunkLines, TestRepo, reposPerTest } from './helpers.ts';
import {
  FIX_AUTHOR,
  FIX_BODY,
  FIX_SUBJECT,
  FROB_PATH,
  frobAfter,
  frobAfterShifted,
  frobBefore,
  frobBeforeShifted,
  frobBeforeTwice,
} from './kernel-files.ts';

const repo = reposPerTest();

/** A repository where mainline has the fix; returns the fix SHA and its exact diff. */
async function mainlineWithFix(): Promise<{ r: TestRepo; fix: string; diff: string }> {
  const r = await repo();
  await r.commit({ [FROB_PATH]: frobBefore, 'README': 'frob\n' }, 'frob: add range mapping');
  await r.git.run(['branch', 'linux-6.1.y']);
  const fix = await r.commit({ [FROB_PATH]: frobAfter }, `${FIX_SUBJECT}\n\n${FIX_BODY}\n`, FIX_AUTHOR);
  return { r, fix, diff: await r.diffOf(fix) };
}

/** The fix made in a throw-away repository: its diff, against the same file shifted down. */
async function foreignFixDiff(before: string, after: string): Promise<string> {
  const scratch = await repo();
  await scratch.commit({ [FROB_PATH]: before }, 'base');
  const sha = await scratch.commit({ [FROB_PATH]: after }, FIX_SUBJECT, FIX_AUTHOR);
  return scratch.diffOf(sha);
}

function damagedMail(upstream: string, diff: string, subject = FIX_SUBJECT) {
  const mail = parseMail(archiveMail({ subject, version: '6.1', author: FIX_AUTHOR, upstream, message: FIX_BODY, diff: damage(diff) }));
  expect(mail.damage.damaged).toBe(true);
  return mail;
}

describe('recoverDiff', () => {
  it('uses a clean diff as it is', async () => {
    const { r, fix, diff } = await mainlineWithFix();
    const mail = parseMail(archiveMail({ subject: FIX_SUBJECT, version: '6.1', author: FIX_AUTHOR, upstream: fix, message: FIX_BODY, diff }));
    expect(mail.damage).toEqual({ damaged: false, reasons: [] });
    const rec = await recoverDiff(mail, r.git, { branches: ['linux-6.1.y'] });
    expect(rec.method).toBe('not-damaged');
    expect(rec.files).toBe(mail.files);
  });

  it('recovers exactly from the upstream commit named by the mail', async () => {
    const { r, fix, diff } = await mainlineWithFix();
    const mail = damagedMail(fix, diff);
    const rec = await recoverDiff(mail, r.git, { branches: ['linux-6.1.y'], upstreamRef: 'master' });
    expect(rec).toMatchObject({ method: 'upstream-commit', confidence: 'exact', source: fix });
    expect(renderPatch(rec.files)).toBe(diff);
    expect(rec.notes[0]).toMatch(new RegExp(`^diff was whitespace-damaged \\(\\d reasons\\); recovered exactly from upstream commit ${fix.slice(0, 12)}$`));
    expect(await r.appliesTo('linux-6.1.y', renderPatch(rec.files))).toBe(true);
  });

  it('finds the commit by subject and author when the mail names an id the repository lacks', async () => {
    const { r, fix, diff } = await mainlineWithFix();
    const mail = damagedMail('0123456789abcdef0123456789abcdef01234567', diff);
    const rec = await recoverDiff(mail, r.git, { branches: ['linux-6.1.y'], upstreamRef: 'master' });
    expect(rec).toMatchObject({ method: 'upstream-by-subject', confidence: 'exact', source: fix });
    expect(renderPatch(rec.files)).toBe(diff);
  });

  it('does not take a commit with the same subject but other changes', async () => {
    const r = await repo();
    await r.commit({ [FROB_PATH]: frobBefore }, 'base');
    await r.commit({ 'other.c': 'int x;\n' }, FIX_SUBJECT, FIX_AUTHOR);
    const diff = await foreignFixDiff(frobBefore, frobAfter);
    const mail = damagedMail('0123456789abcdef0123456789abcdef01234567', diff);
    const rec = await recoverDiff(mail, r.git, { branches: ['master'] });
    // the same-subject commit is rejected; the target lines of master rebuild it
    expect(rec.method).toBe('target-lines');
    expect(hunkLines(rec.files)).toEqual(hunkLines(parseDiff(diff).files));
  });

  it('rebuilds from a target branch whose lines are shifted, with exact text and inferred indentation', async () => {
    const r = await repo();
    await r.commit({ [FROB_PATH]: frobBeforeShifted }, 'frob: add range mapping');
    await r.git.run(['branch', 'linux-5.15.y']);
    const diff = await foreignFixDiff(frobBefore, frobAfter);
    const mail = damagedMail('fedcba9876543210fedcba9876543210fedcba98', diff);
    const rec = await recoverDiff(mail, r.git, { branches: ['linux-5.15.y'] });
    expect(rec).toMatchObject({ method: 'target-lines', confidence: 'high', source: 'linux-5.15.y' });
    expect(hunkLines(rec.files)).toEqual(hunkLines(parseDiff(diff).files));
    expect(rec.notes[0]).toMatch(/rebuilt from the lines of linux-5\.15\.y: context and removed lines are exact, the indentation of 7 added lines was inferred/);
    const rendered = renderPatch(rec.files);
    expect(await r.appliesTo('linux-5.15.y', rendered)).toBe(true);
    // applied, it produces exactly the fixed file
    await r.git.run(['apply'], { input: rendered });
    expect((await import('node:fs')).readFileSync(`${r.dir}/${FROB_PATH}`, 'utf8')).toBe(frobAfterShifted);
  });

  it('skips a branch whose context differs and rebuilds from the next one', async () => {
    const r = await repo();
    // the older branch has no attrs argument: the mail's context is not there
    await r.commit({ [FROB_PATH]: frobBefore.replace('lens[i], attrs);', 'lens[i]);') }, 'frob: old mapping');
    await r.git.run(['branch', 'linux-6.17.y']);
    await r.commit({ [FROB_PATH]: frobBefore }, 'frob: pass attrs');
    await r.git.run(['branch', 'linux-6.19.y']);
    const diff = await foreignFixDiff(frobBefore, frobAfter);
    const mail = damagedMail('fedcba9876543210fedcba9876543210fedcba98', diff);
    const rec = await recoverDiff(mail, r.git, { branches: ['linux-6.17.y', 'linux-6.19.y'] });
    expect(rec).toMatchObject({ method: 'target-lines', source: 'linux-6.19.y' });
    expect(renderPatch(rec.files)).toBe(diff);
  });

  it('rebuilds a diff with several hunks, keeping their line numbers consistent', async () => {
    const before = frobBeforeShifted;
    const after = frobAfterShifted.replace('\t\treturn -EINVAL;', '\t\treturn -ERANGE;');
    const r = await repo();
    await r.commit({ [FROB_PATH]: before }, 'frob: base');
    const diff = await foreignFixDiff(before, after);
    const mail = damagedMail('fedcba9876543210fedcba9876543210fedcba98', diff);
    expect(mail.files[0].hunks).toHaveLength(2);
    const rec = await recoverDiff(mail, r.git, { branches: ['master'] });
    expect(renderPatch(rec.files)).toBe(diff);
  });

  it('refuses when the context occurs twice in the target', async () => {
    const r = await repo();
    await r.commit({ [FROB_PATH]: frobBeforeTwice }, 'frob: add locked variant');
    // a fix whose hunk lies inside the function body, which the target has twice
    const diff = await foreignFixDiff(frobBefore, frobBefore.replace('\t\t\tbreak;', '\t\t\treturn false;'));
    const mail = damagedMail('fedcba9876543210fedcba9876543210fedcba98', diff);
    const err = await recoverDiff(mail, r.git, { branches: ['master'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StablebotError);
    expect((err as StablebotError).code).toBe('unrecoverable-diff');
    expect((err as StablebotError).message).toMatch(/matches 2 places in drivers\/frob\/frob-map\.c at master/);
  });

  it('refuses when an added line has no rule for its indentation', async () => {
    const r = await repo();
    const before = 'int f(int a,\n      int b)\n{\n\tint x = g(a,\n\t\t  b);\n\treturn x;\n}\n';
    const after = 'int f(int a,\n      int b)\n{\n\tint x = g(a,\n\t\t  b,\n\t\t  0);\n\treturn x;\n}\n';
    await r.commit({ 'lib/f.c': before }, 'base');
    const scratch = await repo();
    await scratch.commit({ 'lib/f.c': before }, 'base');
    const diff = await scratch.diffOf(await scratch.commit({ 'lib/f.c': after }, 'lib: pass zero'));
    const mail = parseMail(archiveMail({ subject: 'lib: pass zero', version: '6.6', author: FIX_AUTHOR, upstream: 'ab'.repeat(20), message: 'Pass zero.', diff: damage(diff) }));
    const err = await recoverDiff(mail, r.git, { branches: ['master'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StablebotError);
    expect((err as StablebotError).message).toMatch(/indentation|unfinished statement|continuation/);
  });

  it('rebuilds from a branch that already carries the fix, removed lines from another branch', async () => {
    const r = await repo();
    await r.commit({ [FROB_PATH]: frobBeforeShifted }, 'frob: add range mapping');
    await r.git.run(['branch', 'linux-6.1.y']);
    await r.git.run(['checkout', '-q', '-b', 'linux-6.6.y']);
    // the fix arrived on 6.6 squashed into another change, under another subject
    await r.commit({ [FROB_PATH]: frobAfterShifted, 'README': 'x\n' }, 'frob: rework error handling', { name: 'Someone Else', email: 'else@example.org' });
    await r.git.run(['checkout', '-q', 'master']);
    const diff = await foreignFixDiff(frobBefore, frobAfter);
    const mail = damagedMail('fedcba9876543210fedcba9876543210fedcba98', diff);
    const rec = await recoverDiff(mail, r.git, { branches: ['linux-6.6.y', 'linux-6.1.y'] });
    expect(rec).toMatchObject({ method: 'fixed-branch-post-image', confidence: 'high', source: 'linux-6.6.y' });
    expect(hunkLines(rec.files)).toEqual(hunkLines(parseDiff(diff).files));
    expect(await r.appliesTo('linux-6.1.y', renderPatch(rec.files))).toBe(true);
  });

  it('says what it tried when nothing works', async () => {
    const r = await repo();
    await r.commit({ 'README': 'nothing here\n' }, 'base');
    const diff = await foreignFixDiff(frobBefore, frobAfter);
    const mail = damagedMail('fedcba9876543210fedcba9876543210fedcba98', diff);
    const err = (await recoverDiff(mail, r.git, { branches: ['master', 'linux-9.9.y', '--output=x'] }).catch((e: unknown) => e)) as StablebotError;
    expect(err.message).toContain('"--output=x" is not a valid branch name');
    expect(err.code).toBe('unrecoverable-diff');
    expect(err.message).toContain('upstream commit fedcba987654 is not in the repository');
    expect(err.message).toContain('branch linux-9.9.y does not exist');
    expect(err.message).toContain(`${FROB_PATH} does not exist at master`);
  });

  describe('blank lines the mail dropped next to added lines', () => {
    const WIDGET = 'drivers/widget/map.c';
    const before = `int widget_map(struct widget *w)
{
	dma_addr_t addr;

	addr = widget_dma(w,
			  0);
	if (!addr)
		return -ENOMEM;
	w->len = 0;

	do {
		w->len++;
	} while (w->len < 4);
	return 0;
}
`;

    async function recoverChange(after: string) {
      const r = await repo();
      await r.commit({ [WIDGET]: before }, 'widget: base');
      const scratch = await repo();
      await scratch.commit({ [WIDGET]: before }, 'base');
      const diff = await scratch.diffOf(await scratch.commit({ [WIDGET]: after }, 'widget: pass attrs'));
      const mail = parseMail(archiveMail({ subject: 'widget: pass attrs', version: '6.6', author: FIX_AUTHOR, upstream: 'cd'.repeat(20), message: 'Pass attrs.', diff: damage(diff) }));
      return { diff, outcome: await recoverDiff(mail, r.git, { branches: ['master'] }).catch((e: unknown) => e) };
    }

    it('places one where the kernel style puts it (a blank line after declarations)', async () => {
      const after = before
        .replace('{\n\tdma_addr_t addr;\n\n', '{\n\tunsigned long attrs = 0;\n\tdma_addr_t addr;\n\n\tif (w->nowait)\n\t\tattrs |= WIDGET_NO_WARN;\n')
        .replace('\t\t\t  0);', '\t\t\t  attrs);');
      const { diff, outcome } = await recoverChange(after);
      expect(outcome).not.toBeInstanceOf(Error);
      const rec = outcome as Awaited<ReturnType<typeof recoverDiff>>;
      expect(renderPatch(rec.files)).toBe(diff);
      expect(rec.notes.join(' ')).toMatch(/placed where the kernel coding style puts them/);
    });

    it('refuses when two places are equally good', async () => {
      const after = before.replace('\tw->len = 0;\n', '\tw->len = 0;\n\tif (w->nowait)\n\t\tw->len = 1;\n');
      const { outcome } = await recoverChange(after);
      expect(outcome).toBeInstanceOf(StablebotError);
      expect((outcome as StablebotError).message).toMatch(/a dropped blank line could go in 2 places next to added lines/);
    });
  });
});
