/**
 * A newer kernel API through the real backport pipeline: mainline added kzalloc_obj()/kzalloc_objs() after the
 * 9.1 stable branch forked, and a later fix allocates with them. The 9.1 branch gets the older calls, named in the
 * stable commit message; the 9.2 branch, forked after the API arrived, gets the fix as it is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { backport } from '../../app/pipeline/backport.ts';
import { scratchRepo } from './helpers.ts';

const disposers: (() => void)[] = [];
afterAll(() => disposers.forEach((d) => d()));

const SLAB = `#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H
#define GFP_KERNEL 0x400u
void *kzalloc(unsigned long size, unsigned int flags);
void *kcalloc(unsigned long n, unsigned long size, unsigned int flags);
#endif
`;
const SLAB_OBJ = SLAB.replace('#endif', '#define kzalloc_obj(P, ...) kzalloc(sizeof(P), GFP_KERNEL)\n#define kzalloc_objs(P, N, ...) kcalloc(N, sizeof(P), GFP_KERNEL)\n#endif');

const driver = (alloc: string) => `// SPDX-License-Identifier: GPL-2.0
#include <linux/slab.h>
#include "gadget.h"

static int gadget_open(struct gadget *g, unsigned int n)
{
	g->n = n;
${alloc}	return 0;
}
`;
const HDR = 'struct gadget_stat { unsigned long hits; };\nstruct gadget { unsigned int n; struct gadget_stat *stats; unsigned long *slots; };\n';

async function mirror() {
  const { git, commit, dispose } = await scratchRepo('api-rewrite');
  disposers.push(dispose);
  await commit({ 'include/linux/slab.h': SLAB, 'drivers/gadget/core.c': driver(''), 'drivers/gadget/gadget.h': HDR }, 'gadget: add the driver');
  await git.run(['tag', 'v9.1']);
  await git.run(['branch', 'linux-9.1.y']);
  await commit({ 'include/linux/slab.h': SLAB_OBJ }, 'slab: introduce kzalloc_obj() and kzalloc_objs()');
  await git.run(['tag', 'v9.2']);
  await git.run(['branch', 'linux-9.2.y']);
  const alloc = '\tg->stats = kzalloc_obj(*g->stats);\n\tg->slots = kzalloc_objs(*g->slots, n);\n\tif (!g->stats || !g->slots)\n\t\treturn -ENOMEM;\n';
  const fix = await commit({ 'drivers/gadget/core.c': driver(alloc), 'drivers/gadget/gadget.h': HDR + '#define ENOMEM 12\n' }, 'gadget: allocate the statistics before the device opens\n\nCc: stable@vger.kernel.org\nSigned-off-by: A U Thor <a@example.org>');
  return { git, fix };
}

describe('a fix written with an API newer than the branch', () => {
  it('gets the older calls on the branch that predates the API, and the fix as is where the API exists', async () => {
    const { git, fix } = await mirror();
    const report = await backport({ repoDir: git.dir, input: { kind: 'commit', rev: fix } });
    const old = report.results.find((x) => x.branch === 'linux-9.1.y')!;
    expect(old.outcome).toBe('adapted');
    expect(old.rules).toContain('api-rewrite');
    expect(old.commitMessage).toContain('`kzalloc_obj` does not exist before v7.0: `kzalloc_obj(*g->stats)` becomes `kzalloc(sizeof(*g->stats), GFP_KERNEL)`');
    expect(old.commitMessage).toContain('`kzalloc_objs(*g->slots, n)` becomes `kcalloc(n, sizeof(*g->slots), GFP_KERNEL)`');
    const diff = await git.out(['diff', 'linux-9.1.y', old.backportBranch!]);
    expect(diff).toContain('+\tg->stats = kzalloc(sizeof(*g->stats), GFP_KERNEL);\n+\tg->slots = kcalloc(n, sizeof(*g->slots), GFP_KERNEL);');
    expect(diff).not.toMatch(/kzalloc_objs?\(/);

    const now = report.results.find((x) => x.branch === 'linux-9.2.y')!;
    expect(now.outcome).toBe('clean');
    expect(await git.out(['diff', 'linux-9.2.y', now.backportBranch!])).toContain('+\tg->stats = kzalloc_obj(*g->stats);');
  });
});
