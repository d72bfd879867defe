/**
 * Recovery on a repository shaped like a distribution's source mirror: stable branches are ORPHANS (one commit
 * each, no history, no upstream commit), the newer one already carries the fix and the older one does not. The
 * post-image comes exactly from the newer branch; each removed line's text from the older branch (found near a
 * unique anchor) or, failing that, from the code around it. Refuses when those disagree or nothing decides.
 */
import { describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { renderPatch } from '../../app/core/patch.ts';
import { anchoredRemovedRuns } from '../../app/intake/align.ts';
import { parseDiff } from '../../app/intake/diff.ts';
import { parseMail } from '../../app/intake/mail.ts';
import { recoverDiff, type Recovery } from '../../app/intake/recover.ts';
import { damageDiff } from '../../fixtures/mirror/damage.ts';
import { archiveMail, TestRepo, reposPerTest } from './helpers.ts';

const PATH = 'drivers/ring/ring-map.c';
const AUTHOR = { name: 'Ada Ringwald', email: 'ada@example.org' };
const SUBJECT = 'ring: unlink partially mapped segments on error';

const HEAD = `// SPDX-License-Identifier: GPL-2.0
/*
 * Segment mapping for the ring block driver.
 */
#include <linux/ring.h>

static int ring_fill(struct ring *ring, struct seg_iter *it, struct seg *seg)
{
	int ret = 0;

	while (seg_iter_next(it, seg)) {
		ret = ring_copy(ring, seg);
		if (ret)
			break;
	}
	return ret;
}
`;

const TAIL = `
static void ring_reset(struct ring *ring)
{
	ring->base = 0;
	ring->cursor = 0;
}
`;

/** the older branch: no flags, passes 0, the bug; `errPath` is the braced error block after the flush */
function older(errPath = '\tif (ret) {\n\t\tit->status = ret_to_status(ret);\n\t\treturn false;\n\t}\n'): string {
  return `${HEAD}
static bool ring_map_segments(struct ring *ring, struct ring_dev *rdev,
		struct seg_iter *it, struct seg *seg)
{
	unsigned int done = 0;
	int ret;

	ring->base = rdev->window;

	do {
		ret = ring_link(rdev, ring, seg->start, done,
				seg->size, 0);
		if (ret)
			break;
		done += seg->size;
	} while (seg_iter_next(it, seg));

	ret = ring_flush(rdev, ring, done);
${errPath}
	return true;
}
${TAIL}`;
}

/** the newer branch before the fix: it grew a `flags` variable, the bug is still there */
const newerBuggy = older()
  .replace('\tunsigned int done = 0;\n', '\tunsigned int done = 0;\n\tunsigned int flags = 0;\n')
  .replace('\tring->base = rdev->window;\n', '\tring->base = rdev->window;\n\n\tif (rdev->coherent)\n\t\tflags |= RING_F_COHERENT;\n')
  .replace('seg->size, 0);', 'seg->size, flags);');

/** the fix, as upstream made it on the newer code */
const newerFixed = newerBuggy
  .replace('\t\tif (ret)\n\t\t\tbreak;\n\t\tdone', '\t\tif (ret)\n\t\t\tgoto out_unlink;\n\t\tdone')
  .replace('\tif (ret) {\n\t\tit->status = ret_to_status(ret);\n\t\treturn false;\n\t}\n', '\tif (ret)\n\t\tgoto out_unlink;\n')
  .replace('\treturn true;\n}\n', '\treturn true;\n\nout_unlink:\n\tring_unlink(rdev, ring, done, flags);\n\tit->status = ret_to_status(ret);\n\treturn false;\n}\n');

const repo = reposPerTest();

/** The true diff of a change, made in a scratch repository. */
async function trueDiff(before: string, after: string): Promise<string> {
  const scratch = await repo();
  await scratch.commit({ [PATH]: before }, 'base');
  return scratch.diffOf(await scratch.commit({ [PATH]: after }, SUBJECT, AUTHOR));
}

/** A mirror of orphan branches, one commit each: no history to find the fix's parent in. */
async function orphanMirror(branches: Record<string, string>): Promise<TestRepo> {
  const r = await repo();
  for (const [name, content] of Object.entries(branches)) {
    await r.git.run(['checkout', '-q', '--orphan', name]);
    await r.git.run(['rm', '-rq', '--cached', '--ignore-unmatch', '.']);
    await r.commit({ [PATH]: content, 'Makefile': `# ${name}\n` }, `Import ${name}`);
  }
  return r;
}

function damagedMail(diff: string) {
  const upstream = '5eed'.repeat(10);
  const mail = parseMail(archiveMail({ subject: SUBJECT, version: '6.12', author: AUTHOR, upstream, message: 'Unlink what was mapped.', diff: damageDiff(diff) }));
  expect(mail.damage.damaged).toBe(true);
  return mail;
}

async function recover(r: TestRepo, diff: string, branches: string[]): Promise<Recovery | StablebotError> {
  return recoverDiff(damagedMail(diff), r.git, { branches }).catch((e: unknown) => {
    if (e instanceof StablebotError) return e;
    throw e;
  });
}

describe('recovering from a branch that carries the fix, on orphan branches', () => {
  it('rebuilds the exact diff: post-image from the fixed branch, removed lines verbatim from the older one', async () => {
    const diff = await trueDiff(newerBuggy, newerFixed);
    const r = await orphanMirror({ 'linux-6.6.y': older(), 'linux-6.12.y': newerFixed });
    const rec = (await recover(r, diff, ['linux-6.6.y', 'linux-6.12.y'])) as Recovery;
    expect(rec).toMatchObject({ method: 'fixed-branch-post-image', confidence: 'high', source: 'linux-6.12.y' });
    expect(renderPatch(rec.files)).toBe(diff);
    expect(rec.notes.join('\n')).toMatch(/rebuilt from linux-6\.12\.y, which already carries the fix/);
    expect(rec.notes.join('\n')).toMatch(/5 removed lines copied verbatim from linux-6\.6\.y/);
  });

  it('infers the removed lines from the added lines and braces when no branch has the old code', async () => {
    const diff = await trueDiff(newerBuggy, newerFixed);
    const r = await orphanMirror({ 'linux-6.12.y': newerFixed });
    const rec = (await recover(r, diff, ['linux-6.12.y'])) as Recovery;
    expect(rec).toMatchObject({ method: 'fixed-branch-post-image', source: 'linux-6.12.y' });
    expect(renderPatch(rec.files)).toBe(diff);
    expect(rec.notes.join('\n')).toMatch(/indentation of 5 removed lines inferred/);
  });

  it('keeps the line numbers of several hunks consistent, with and without the older branch', async () => {
    const twoHunks = (s: string) => s.replace('\tint ret = 0;\n\n\twhile', '\tint ret = -ENODATA;\n\n\twhile');
    const diff = await trueDiff(newerBuggy, twoHunks(newerFixed));
    expect(parseDiff(diff).files[0].hunks).toHaveLength(2);
    for (const branches of [['linux-6.12.y', 'linux-6.6.y'], ['linux-6.12.y']]) {
      const r = await orphanMirror({ 'linux-6.6.y': older(), 'linux-6.12.y': twoHunks(newerFixed) });
      const rec = (await recover(r, diff, branches)) as Recovery;
      expect(rec.method).toBe('fixed-branch-post-image');
      expect(renderPatch(rec.files)).toBe(diff);
    }
  });

  it('uses the older branch for a removed continuation line that the structure cannot place', async () => {
    const callOnOneLine = (s: string) => s.replace(/ring_link\(rdev, ring, seg->start, done,\n\t\t\t\tseg->size, (\w+)\);/, 'ring_link_all(rdev, ring, it, $1);');
    const fixed = newerBuggy.replace(/\tdo \{\n\t\tret = ring_link\([^;]*;\n/, '\tdo {\n\t\tret = ring_link_all(rdev, ring, it, flags);\n');
    const diff = await trueDiff(newerBuggy, fixed);
    expect(diff).toContain('-\t\t\t\tseg->size, flags);');
    // the older branch has the two removed lines (with flags): the run is copied from it
    const oldWithFlags = newerBuggy.replace('\tif (rdev->coherent)\n\t\tflags |= RING_F_COHERENT;\n', '\tflags = rdev->flags;\n');
    const r = await orphanMirror({ 'linux-6.6.y': oldWithFlags, 'linux-6.12.y': fixed });
    const rec = (await recover(r, diff, ['linux-6.12.y', 'linux-6.6.y'])) as Recovery;
    expect(rec).toMatchObject({ method: 'fixed-branch-post-image', source: 'linux-6.12.y' });
    expect(renderPatch(rec.files)).toBe(diff);

    // without it, nothing says how far the continuation line was indented: refuse
    const alone = await orphanMirror({ 'linux-6.6.y': callOnOneLine(older()), 'linux-6.12.y': fixed });
    const err = await recover(alone, diff, ['linux-6.12.y', 'linux-6.6.y']);
    expect(err).toBeInstanceOf(StablebotError);
    expect((err as StablebotError).code).toBe('unrecoverable-diff');
    expect((err as StablebotError).message).toMatch(/removed line "seg->size, flags\);": it follows an unfinished statement/);
  });

  it('refuses when the older branch and the code around the change disagree', async () => {
    const diff = await trueDiff(newerBuggy, newerFixed);
    // the older branch indents the error block with spaces: its text is not what the fixed branch's code implies
    const spaced = older('\tif (ret) {\n        it->status = ret_to_status(ret);\n        return false;\n\t}\n');
    const r = await orphanMirror({ 'linux-6.6.y': spaced, 'linux-6.12.y': newerFixed });
    const err = await recover(r, diff, ['linux-6.12.y', 'linux-6.6.y']);
    expect(err).toBeInstanceOf(StablebotError);
    expect((err as StablebotError).message).toMatch(/removed line "it->status = ret_to_status\(ret\);" is .* at linux-6\.6\.y but the code around it at linux-6\.12\.y says/);
  });
});

describe('a blank line the mail dropped between removed lines', () => {
  // the blank between two change groups vanishes from the mail: in the old code it may sit before or after "ring_kick"
  const before = `${HEAD}
static int ring_start(struct ring *ring)
{
	int ret;

	ret = ring_prepare(ring, 1);
	ring_arm(ring);

	ring_kick(ring);
	return ret;
}
${TAIL}`;
  const after = before.replace('\tret = ring_prepare(ring, 1);\n\tring_arm(ring);\n\n\tring_kick(ring);\n', '\tret = ring_prepare(ring, 2);\n\n\tring_kick_all(ring);\n');

  it('is placed by the older branch, and refused when nothing shows where it was', async () => {
    const diff = await trueDiff(before, after);
    expect(damageDiff(diff)).not.toMatch(/^ $/m);
    const withOld = await orphanMirror({ 'linux-6.6.y': before.replace('\tint ret;\n', '\tint ret = 0;\n'), 'linux-6.12.y': after });
    const rec = (await recover(withOld, diff, ['linux-6.12.y', 'linux-6.6.y'])) as Recovery;
    expect(rec.method).toBe('fixed-branch-post-image');
    expect(renderPatch(rec.files)).toBe(diff);
    // its context differs ("int ret = 0;"): the removed runs come from it one by one, not as a whole pre-image
    expect(rec.notes.join('\n')).toMatch(/3 removed lines copied verbatim from linux-6\.6\.y/);

    const alone = await orphanMirror({ 'linux-6.12.y': after });
    const err = await recover(alone, diff, ['linux-6.12.y']);
    expect(err).toBeInstanceOf(StablebotError);
    expect((err as StablebotError).message).toMatch(/a dropped blank line could go in 2 places next to removed lines/);
  });
});

describe('anchoredRemovedRuns', () => {
  const hunkOf = async (before: string, after: string) => parseDiff(await trueDiff(before, after)).files[0].hunks[0];

  it('takes a common run ("break;") only next to its unique anchor', async () => {
    const h = await hunkOf(newerBuggy, newerFixed);
    const lines = older().split('\n');
    expect(lines.filter((l) => l.trim() === 'break;')).toHaveLength(2);
    const found = anchoredRemovedRuns(h, lines);
    const breakIdx = h.lines.findIndex((l) => l.op === '-' && l.text.trim() === 'break;');
    expect(found.lines.get(breakIdx)).toBe('\t\t\tbreak;');
    expect(found.lines.size).toBe(5);
    expect(found.ambiguous).toEqual([]);
  });

  it('reports a run that matches twice near its anchors', async () => {
    const h = await hunkOf(newerBuggy, newerFixed);
    const doubled = older().replace('\t\tif (ret)\n\t\t\tbreak;\n\t\tdone', '\t\tif (ret)\n\t\t\tbreak;\n\t\tif (ret)\n\t\t\tbreak;\n\t\tdone');
    const found = anchoredRemovedRuns(h, doubled.split('\n'));
    const breakIdx = h.lines.findIndex((l) => l.op === '-' && l.text.trim() === 'break;');
    expect(found.ambiguous).toContain(breakIdx);
    expect(found.lines.has(breakIdx)).toBe(false);
  });
});
