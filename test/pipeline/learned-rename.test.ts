/**
 * A rename learned from the two files, through the real backport pipeline: mainline renamed a driver helper after
 * the stable branch forked, and a later fix calls it by its new name. The patch applies textually on the stable
 * branch, but the branch lacks the new name: the engine must learn the old spelling from upstream's file (the fix's
 * parent) aligned with the branch's, adapt the added line, and say so in the stable commit message.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { backport } from '../../app/pipeline/backport.ts';
import { scratchRepo } from './helpers.ts';

const disposers: (() => void)[] = [];
afterAll(() => disposers.forEach((d) => d()));

function driver(lock: string): string {
  return `// SPDX-License-Identifier: GPL-2.0
#include "gizmo.h"

static int gizmo_start(struct gizmo *g)
{
	int err;

	${lock}(g);
	err = gizmo_map_slot(g, 0);
	gizmo_hw_unlock(g);
	return err;
}

static int gizmo_reset(struct gizmo *g, int slot)
{
	int err;

	err = gizmo_map_slot(g, slot);
	if (err)
		return err;
	g->slot = slot;
	return 0;
}

static void gizmo_stop(struct gizmo *g)
{
	${lock}(g);
	g->slot = -1;
	gizmo_hw_unlock(g);
}
`;
}

function header(lock: string): string {
  return `struct gizmo { int slot; };
int gizmo_map_slot(struct gizmo *g, int n);
void ${lock}(struct gizmo *g);
void gizmo_hw_unlock(struct gizmo *g);
`;
}

async function mirror(oldName: string, newName: string) {
  const { git, commit, dispose } = await scratchRepo('learned-rename');
  disposers.push(dispose);
  await commit({ 'drivers/gizmo/core.c': driver(oldName), 'drivers/gizmo/gizmo.h': header(oldName) }, 'gizmo: add the driver');
  await git.run(['tag', 'v9.1']);
  await git.run(['branch', 'linux-9.1.y']);
  await commit({ 'drivers/gizmo/core.c': driver(newName), 'drivers/gizmo/gizmo.h': header(newName) }, `gizmo: rename ${oldName}() to ${newName}()`);
  const fixed = driver(newName).replace('\terr = gizmo_map_slot(g, slot);\n\tif (err)\n\t\treturn err;\n', `\t${newName}(g);\n\terr = gizmo_map_slot(g, slot);\n\tgizmo_hw_unlock(g);\n\tif (err)\n\t\treturn err;\n`);
  const fix = await commit({ 'drivers/gizmo/core.c': fixed }, 'gizmo: hold the hardware lock while remapping a slot\n\nCc: stable@vger.kernel.org\nSigned-off-by: A U Thor <a@example.org>');
  return { git, fix };
}

describe.each([
  ['gizmo_hw_lock', 'gizmo_hw_acquire'],
  ['gizmo_grab_hw', 'gizmo_hw_claim'],
])('a helper renamed after the fork (%s -> %s)', (oldName, newName) => {
  it('is spelled the branch\'s way in the backport, with the evidence in the commit message', async () => {
    const { git, fix } = await mirror(oldName, newName);
    const report = await backport({ repoDir: git.dir, input: { kind: 'commit', rev: fix } });
    const r = report.results.find((x) => x.branch === 'linux-9.1.y')!;
    expect(r.outcome).toBe('adapted');
    expect(r.rules).toContain('aligned-rename');
    expect(r.commitMessage).toContain(`\`${newName}\` is \`${oldName}\` on this branch`);
    const diff = await git.out(['diff', 'linux-9.1.y', r.backportBranch!]);
    expect(diff).toContain(`+\t${oldName}(g);`);
    expect(diff).not.toContain(newName);
    // the textual pick was judged, and the record says why it was not used as is
    expect(r.evidence.map((e) => e.result)).toContain('not used as is: the engine adapts it (aligned-rename)');
  });
});
