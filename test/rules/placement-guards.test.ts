/**
 * Guards on placements that loosen upstream's context (reduced-context, whitespace-insensitive relocation): each
 * refuses the shape that ported wrongly on real backports and still places the legitimate look-alike. Names vary
 * per run so no guard can key on one identifier.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { edit, treesPerTest, upstream } from '../apply/fixture.ts';

const tree = treesPerTest();

const COMPILER_H = '#define WRITE_ONCE(x, val) do { (x) = (val); } while (0)\n#define false 0\n#define NULL ((void *)0)\n';

describe.each([
  { ns: 'xs', member: 'sk_use_page_frag' },
  { ns: 'gadget_link', member: 'sk_no_defer' },
])('dropped-context-missing ($ns)', ({ ns, member }) => {
  const path = `net/${ns}/sock.c`;
  const sockH = (withMember: boolean) =>
    `struct sock {\n\tvoid *sk_user_data;\n\tvoid (*sk_data_ready)(struct sock *sk);\n\tvoid (*sk_state_change)(struct sock *sk);\n\tvoid (*sk_error_report)(struct sock *sk);\n${withMember ? `\tint ${member};\n` : ''}};\n`;
  const heading = `static int ${ns}_connect(struct ${ns}_xprt *xp, struct sock *sk)`;
  const fn = (extra: string) => `#include <net/sock.h>

static void ${ns}_data_ready(struct sock *sk)
{
}

${heading}
{
	if (!xp->inet) {
		sk->sk_user_data = xp;
		sk->sk_data_ready = ${ns}_data_ready;
		sk->sk_state_change = ${ns}_state_change;
		sk->sk_error_report = ${ns}_error_report;
${extra}
		${ns}_clear(xp);
	}
	return 0;
}
`;
  const before = fn(`\t\tsk->${member} = false;\n`);
  const after = edit(before, `\t\tsk->sk_data_ready = ${ns}_data_ready;`, `\t\tWRITE_ONCE(sk->sk_data_ready, ${ns}_data_ready);`);
  const patch = () => upstream(path, before, after, heading);
  const up = () => tree({ [path]: before, 'include/net/sock.h': sockH(true), 'include/linux/compiler.h': COMPILER_H });

  it('refuses when upstream\'s dropped context line is simply missing and its member exists nowhere on the target', async () => {
    const target = tree({ [path]: fn(''), 'include/net/sock.h': sockH(false), 'include/linux/compiler.h': COMPILER_H });
    const r = await portPatch(patch(), target, { upstreamTree: up() });
    expect(r.refusal?.check).toBe('dropped-context-missing');
    expect(r.refusal?.reason).toContain(member);
  });

  it('places it when the target has that member (the line is just not in this function)', async () => {
    const target = tree({ [path]: fn(''), 'include/net/sock.h': sockH(true), 'include/linux/compiler.h': COMPILER_H });
    const r = await portPatch(patch(), target, { upstreamTree: up() });
    expect(r.outcome).toBe('adapted');
    expect(r.adaptations.map((a) => a.rule)).toContain('reduced-context');
    expect(r.files[0].content).toContain(`WRITE_ONCE(sk->sk_data_ready, ${ns}_data_ready);`);
  });

  it('places it when the target spells the dropped line differently (a counterpart, not a missing line)', async () => {
    const target = tree({ [path]: fn(`\t\t${ns}_tune(sk);\n`), 'include/net/sock.h': sockH(false), 'include/linux/compiler.h': COMPILER_H });
    const r = await portPatch(patch(), target, { upstreamTree: up() });
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain(`\t\t${ns}_tune(sk);\n`);
  });
});

describe.each(['gizmo', 'udc_port'])('out-of-view forgiveness is for hunks on upstream\'s own context (%s)', (ns) => {
  const path = `drivers/${ns}/main.c`;
  // upstream moves `${ns}_remove` below `${ns}_cleanup`; the hunk that deletes the old copy is not in view
  const file = (cleanupTail: string) => `#include <linux/widget.h>

static void ${ns}_remove(struct widget_dev *wd)
{
	wd->count = 0;
}

static void ${ns}_cleanup(struct widget_dev *wd)
{
	wd->count = 0;
${cleanupTail}}

static int ${ns}_probe(struct widget_dev *wd)
{
	wd->count = 1;
	return 0;
}
`;
  const HDR = { 'include/linux/widget.h': 'struct widget_dev {\n\tvoid *buf;\n\tunsigned int count;\n};\n' };
  const before = file('\twd->buf = NULL;\n');
  const moved = `static void ${ns}_remove(struct widget_dev *wd)\n{\n\t${ns}_cleanup(wd);\n}\n\n`;
  const after = edit(before, `static int ${ns}_probe`, `${moved}static int ${ns}_probe`);
  const patch = () => upstream(path, before, after, `static void ${ns}_cleanup(struct widget_dev *wd)`);
  const up = () => tree({ [path]: before, ...HDR });

  it('duplicate-definition: forgiven on upstream\'s exact context', async () => {
    const r = await portPatch(patch(), tree({ [path]: before, ...HDR }), { upstreamTree: up() });
    expect(r.outcome).toBe('clean');
  });

  it('duplicate-definition: refused once reduced-context had to drop a line the target reads otherwise', async () => {
    const r = await portPatch(patch(), tree({ [path]: file('\twd->buf = wd;\n'), ...HDR }), { upstreamTree: up() });
    expect(r.refusal?.check).toBe('duplicate-definition');
    expect(r.refusal?.reason).toContain(`${ns}_remove`);
  });

  // upstream drops `fresh`'s declaration; its uses further down go in a hunk not in view
  const fnWith = (decl: string) => `static int ${ns}_change(struct widget_dev *wd, unsigned int h)
{
${decl}	unsigned int th;
	int err;
	bool fresh = true;

	if (!h)
		return -EINVAL;
	th = h;
	if (wd->count)
		fresh = false;
	return fresh ? th : 0;
}
`;
  const beforeFn = fnWith('\tstruct widget_dev *old;\n');
  // (the hunk also adds a line: a hunk that only removes lines gets the lock check alone)
  const afterFn = edit(edit(beforeFn, '\tbool fresh = true;\n', ''), '\tint err;\n', '\tint err = 0;\n');
  const fnPatch = () => upstream(path, beforeFn, afterFn, `static int ${ns}_change(struct widget_dev *wd, unsigned int h)`);

  it('removed-declaration-in-use: forgiven on upstream\'s exact context', async () => {
    const r = await portPatch(fnPatch(), tree({ [path]: beforeFn, ...HDR }), { upstreamTree: tree({ [path]: beforeFn, ...HDR }) });
    expect(r.outcome).toBe('clean');
  });

  it('removed-declaration-in-use: refused after reduced-context', async () => {
    const target = tree({ [path]: fnWith('\tstruct widget_dev *prev, *old;\n'), ...HDR });
    const r = await portPatch(fnPatch(), target, { upstreamTree: tree({ [path]: beforeFn, ...HDR }) });
    expect(r.refusal?.check).toBe('removed-declaration-in-use');
    expect(r.refusal?.reason).toContain('fresh');
  });
});

describe.each(['iommu', 'mmu_ctx'])('relocated-other-function (%s)', (ns) => {
  const path = `drivers/${ns}/core.c`;
  const block = (indent: string) =>
    [`if (${ns}_copied(dev)) {`, `\t${ns}_flush(dev);`, '}', '', `${ns}_clear_copied(dev);`].map((l) => (l ? indent + l : l)).join('\n');
  const heading = `static void ${ns}_tear_down(struct device *dev)`;
  const before = `#include <linux/${ns}.h>

${heading}
{
${block('\t')}
}
`;
  const after = edit(before, `\t${ns}_clear_copied(dev);`, `\t${ns}_clear_entry(dev);\n\n\t${ns}_clear_copied(dev);`);
  const patch = () => upstream(path, before, after, heading);
  const HDR = { [`include/linux/${ns}.h`]: `struct device;\nint ${ns}_copied(struct device *dev);\nvoid ${ns}_flush(struct device *dev);\nvoid ${ns}_clear_copied(struct device *dev);\nvoid ${ns}_clear_entry(struct device *dev);\n` };

  it('refuses code found only inlined in another function of the target', async () => {
    const target = `#include <linux/${ns}.h>

static int ${ns}_map_one(struct device *dev, int flags)
{
	if (flags) {
${block('\t\t')}
	}
	return 0;
}
`;
    const r = await portPatch(patch(), tree({ [path]: target, ...HDR }), { upstreamTree: tree({ [path]: before, ...HDR }) });
    expect(r.refusal?.check).toBe('relocated-other-function');
  });

  it('relocates (and re-indents) within the function the section names', async () => {
    const target = `#include <linux/${ns}.h>

static int ${ns}_unrelated(void)
{
	return 0;
}

${heading}
{
	if (dev) {
${block('\t\t')}
	}
}
`;
    const r = await portPatch(patch(), tree({ [path]: target, ...HDR }), { upstreamTree: tree({ [path]: before, ...HDR }) });
    expect(r.outcome).not.toBe('refused');
    expect(r.files[0].content).toContain(`\t\t${ns}_clear_entry(dev);\n\n\t\t${ns}_clear_copied(dev);`);
  });
});
