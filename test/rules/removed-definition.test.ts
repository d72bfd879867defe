import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { edit, upstream, treesPerTest } from '../apply/fixture.ts';

/* A mailbox-like driver written for these tests: upstream retires gizmo_map_shmem(); the branch's copy drifted. */
const DRV = 'drivers/gizmo/gizmo-mbox.c';
const HELPER_UP = `/**
 * gizmo_map_shmem - map the shared memory of a channel
 * @chan: the channel
 */
int gizmo_map_shmem(struct gizmo_chan *chan)
{
	if (!chan || !chan->cl)
		return -EINVAL;

	chan->shmem = ioremap_wc(chan->shmem_base, chan->shmem_size);
	if (!chan->shmem)
		return -ENXIO;

	return 0;
}
EXPORT_SYMBOL_GPL(gizmo_map_shmem);

`;
const HELPER_BRANCH = `/**
 * gizmo_map_shmem - map the shared memory of a channel
 * @chan: the channel
 */
int gizmo_map_shmem(struct gizmo_chan *chan)
{
	if (!chan || !chan->cl)
		return -EINVAL;
	chan->shmem = ioremap(chan->shmem_base, chan->shmem_size);
	return 0;
}
EXPORT_SYMBOL_GPL(gizmo_map_shmem);

`;
const file = (helper: string, extra = '') => `// SPDX-License-Identifier: GPL-2.0
#include <linux/gizmo.h>

void gizmo_free_channel(struct gizmo_chan *chan)
{
	chan->cl = NULL;
}
EXPORT_SYMBOL_GPL(gizmo_free_channel);

${helper}/**
 * gizmo_send - ring the doorbell
 * @chan: the channel
 */
int gizmo_send(struct gizmo_chan *chan)
{
	return gizmo_ring(chan);${extra}
}
`;
const tree = treesPerTest({ 'include/linux/gizmo.h': 'struct gizmo_chan { void *cl; void *shmem; unsigned long shmem_base, shmem_size; };\nint gizmo_ring(struct gizmo_chan *chan);\n' });
const removal = () => upstream(DRV, file(HELPER_UP), file(''));

describe('removed-definition: upstream deletes a whole definition whose body drifted on the branch', () => {
  it("removes the branch's own definition, with its comment and export, and says so", async () => {
    const r = await portPatch(removal(), tree({ [DRV]: file(HELPER_BRANCH) }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toBe(file(''));
    expect(r.adaptations[0]).toMatchObject({ rule: 'removed-definition', params: { name: 'gizmo_map_shmem', kind: 'function', targetLines: '13', upstreamLines: '17' } });
    expect(r.adaptations[0].note).toBe("`gizmo_map_shmem` is removed as a whole: this branch's function (13 lines) reads differently from upstream's (17 lines)");
  });

  it('refuses when the branch still uses the function elsewhere in the file', async () => {
    const r = await portPatch(removal(), tree({ [DRV]: file(HELPER_BRANCH, '\n\tgizmo_map_shmem(chan);') }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('removed-definition-in-use');
  });

  it("refuses when a use upstream removes elsewhere is joined by one of the branch's own", async () => {
    // upstream's file called the helper from gizmo_send (a sibling hunk drops that call); the branch also calls
    // it from a function of its own, which no hunk touches
    const poll = (call: string) => `\nint gizmo_poll(struct gizmo_chan *chan)\n{\n\tint n = 0;\n${call}\treturn n;\n}\n`;
    const upBefore = file(HELPER_UP) + poll('\tgizmo_map_shmem(chan);\n');
    const upAfter = file('') + poll('');
    const other = '\nint gizmo_other(struct gizmo_chan *chan)\n{\n\treturn gizmo_map_shmem(chan);\n}\n';
    const r = await portPatch(upstream(DRV, upBefore, upAfter), tree({ [DRV]: file(HELPER_BRANCH) + poll('\tgizmo_map_shmem(chan);\n') + other }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('removed-definition-in-use');
    // without the branch's own caller the same patch ports, both hunks
    const ok = await portPatch(upstream(DRV, upBefore, upAfter), tree({ [DRV]: file(HELPER_BRANCH) + poll('\tgizmo_map_shmem(chan);\n') }));
    expect(ok.outcome).toBe('adapted');
    expect(ok.files[0].content).toBe(upAfter);
  });

  it('refuses to remove an exported function another file of the branch still calls', async () => {
    const r = await portPatch(removal(), tree({ [DRV]: file(HELPER_BRANCH), 'drivers/gizmo/gizmo-user.c': 'int gizmo_user(struct gizmo_chan *c)\n{\n\treturn gizmo_map_shmem(c);\n}\n' }));
    expect(r.refusal?.check).toBe('removed-definition-in-use');
    expect(r.refusal?.reason).toContain('drivers/gizmo/gizmo-user.c');
  });

  it('needs the context on both sides: a definition somewhere else is not taken', async () => {
    const moved = file('').replace('int gizmo_send', HELPER_BRANCH + 'int gizmo_send').replace(/\/\*\*\n \* gizmo_send[^]*?\*\/\n(?=\/\*\*)/, '');
    const r = await portPatch(removal(), tree({ [DRV]: moved }));
    expect(r.outcome).toBe('refused');
    expect(r.adaptations).toEqual([]);
  });

  it('needs most of the removed lines in the branch definition, and one definition only', async () => {
    const rewritten = HELPER_BRANCH.replace(/\{[^]*\n\}/, '{\n\treturn gizmo_ioremap_all(chan, GIZMO_SHMEM_WC | GIZMO_SHMEM_CHECKED, true);\n}');
    expect((await portPatch(removal(), tree({ [DRV]: file(rewritten) }))).outcome).toBe('refused');
    const twice = file(HELPER_BRANCH).replace('void gizmo_free_channel', edit(HELPER_BRANCH, 'EXPORT_SYMBOL_GPL(gizmo_map_shmem);\n', '') + 'void gizmo_free_channel');
    expect((await portPatch(removal(), tree({ [DRV]: twice }))).outcome).toBe('refused');
  });

  it('removes a struct the same way', async () => {
    const H = 'drivers/gizmo/gizmo.h';
    const hdr = (members: string) => `#define GIZMO_SLOTS 8\n\nstruct gizmo_stats {\n${members}};\n\nstruct gizmo_list {\n\tstruct list_head head;\n};\n`;
    const upMembers = '\tunsigned int sent;\n\tunsigned int lost;\n\tunsigned int retried;\n\tbool wake;\n';
    const patch = upstream(H, hdr(upMembers), hdr(upMembers).replace(/struct gizmo_stats \{[^]*?\};\n\n/, ''));
    const r = await portPatch(patch, tree({ [H]: hdr('\tunsigned int sent;\n\tunsigned int lost;\n\tunsigned int wake;\n') }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toBe('#define GIZMO_SLOTS 8\n\nstruct gizmo_list {\n\tstruct list_head head;\n};\n');
    expect(r.adaptations[0].params).toMatchObject({ name: 'gizmo_stats', kind: 'struct' });
  });

  it('knows a packed struct and a return type on a line of its own', async () => {
    const H = 'drivers/gizmo/gizmo-hw.h';
    const hdr = (regs: string) => `#define GIZMO_REGS 4\n\nstruct gizmo_hw_regs {\n${regs}} __packed;\n\nstruct gizmo_hw {\n\tvoid __iomem *base;\n};\n`;
    const up = hdr('\t__le32 ctrl;\n\t__le32 status;\n\t__le32 irq_mask;\n');
    const r = await portPatch(upstream(H, up, up.replace(/struct gizmo_hw_regs \{[^]*?\} __packed;\n\n/, '')), tree({ [H]: hdr('\t__le32 ctrl;\n\t__le32 status;\n\t__le16 irq_mask;\n\t__le16 pad;\n') }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toBe('#define GIZMO_REGS 4\n\nstruct gizmo_hw {\n\tvoid __iomem *base;\n};\n');

    const C = 'drivers/gizmo/gizmo-core.c';
    const src = (body: string) => `#include <linux/gizmo.h>\n\nstatic int gizmo_a;\nstatic int gizmo_b;\n\nstatic int\ngizmo_reset(struct gizmo_chan *chan)\n{\n${body}}\n\nint gizmo_init(void)\n{\n\treturn 0;\n}\n`;
    const upSrc = src('\tchan->cl = NULL;\n\tchan->shmem = NULL;\n\treturn 0;\n');
    const fixed = upSrc.replace(/static int\ngizmo_reset[^]*?\n\}\n\n/, '');
    const rc = await portPatch(upstream(C, upSrc, fixed), tree({ [C]: src('\tchan->cl = NULL;\n\tchan->shmem = NULL;\n\tchan->shmem_size = 0;\n\treturn 0;\n') }));
    expect(rc.outcome).toBe('adapted');
    expect(rc.files[0].content).toBe(fixed);
    expect(rc.adaptations[0].params).toMatchObject({ name: 'gizmo_reset', kind: 'function', static: 'true' });
  });
});
