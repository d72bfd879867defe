/**
 * The safety checks when upstream's tree before the change is known: a name the target lacks is refused only when
 * upstream had it before the change (a missing prerequisite); a name upstream's parent lacks too is introduced by
 * the change itself. Plus the checks that need no upstream: call-arity, duplicate-definition, and undeclared-local
 * for a bare call argument.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { CORE_C, WIDGET_H, edit, upstream, treesPerTest } from './fixture.ts';

const CORE = 'drivers/widget/core.c';
const HDR = 'include/linux/widget.h';
const tree = treesPerTest({ [HDR]: WIDGET_H });
/** upstream adds `lines` at the end of widget_teardown of `base` */
function addToTeardown(lines: string, base = CORE_C) {
  return upstream(CORE, base, edit(base, '\twd->count = 0;\n}', `\twd->count = 0;\n${lines}}`));
}

describe('checks judged by upstream\'s tree before the change', () => {
  it('unknown-identifier: a name upstream lacked before the change is the change\'s own; one it had is a prerequisite', async () => {
    const patch = addToTeardown('\tgizmo_quiesce(wd);\n');
    const target = tree({ [CORE]: CORE_C });
    // without upstream's tree: refused, as before
    expect((await portPatch(patch, target)).refusal?.check).toBe('unknown-identifier');
    // upstream's parent lacks it too: a sibling hunk of the change declares it
    const lacking = tree({ [CORE]: CORE_C });
    expect((await portPatch(patch, target, { upstreamTree: lacking })).outcome).toBe('clean');
    // upstream's parent declares it in a header: the target misses a prerequisite
    const having = tree({ [CORE]: CORE_C, 'include/linux/gizmo.h': 'void gizmo_quiesce(struct widget_dev *wd);\n' });
    const r = await portPatch(patch, target, { upstreamTree: having });
    expect(r.refusal?.check).toBe('unknown-identifier');
    expect(r.refusal?.reason).toContain('prerequisite');
  });

  it('struct-member: judged by upstream\'s struct before the change', async () => {
    const patch = addToTeardown('\twd->gen = 0;\n');
    const gizmo = { 'include/linux/gizmo.h': 'struct gizmo { unsigned int gen; };\n' };
    const target = tree({ [CORE]: CORE_C, ...gizmo });
    expect((await portPatch(patch, target)).refusal?.check).toBe('struct-member');
    expect((await portPatch(patch, target, { upstreamTree: tree({ [CORE]: CORE_C, ...gizmo }) })).outcome).toBe('clean');
    const hadIt = tree({ [CORE]: CORE_C, ...gizmo, [HDR]: edit(WIDGET_H, '\tu32 state;\n', '\tu32 state;\n\tu32 gen;\n') });
    expect((await portPatch(patch, target, { upstreamTree: hadIt })).refusal?.check).toBe('struct-member');
  });

  it('undeclared-local: refused only when upstream\'s function declared the local before the change', async () => {
    const patch = addToTeardown('\terr = widget_reset(wd);\n');
    const target = tree({ [CORE]: CORE_C });
    expect((await portPatch(patch, target)).refusal?.check).toBe('undeclared-local');
    expect((await portPatch(patch, target, { upstreamTree: tree({ [CORE]: CORE_C }) })).outcome).toBe('clean');
    const declared = edit(CORE_C, 'static void widget_teardown(struct widget_dev *wd)\n{\n', 'static void widget_teardown(struct widget_dev *wd)\n{\n\tint err;\n\n');
    const upPatch = addToTeardown('\terr = widget_reset(wd);\n', declared);
    expect((await portPatch(upPatch, target, { upstreamTree: tree({ [CORE]: declared }) })).refusal?.check).toBe('undeclared-local');
  });

  it('missing-header: a header upstream lacked before the change is added by the change', async () => {
    const patch = upstream(CORE, CORE_C, edit(CORE_C, '#include <linux/widget.h>\n', '#include <linux/widget.h>\n#include <linux/gizmo.h>\n'));
    const target = tree({ [CORE]: CORE_C });
    expect((await portPatch(patch, target, { upstreamTree: tree({ [CORE]: CORE_C }) })).outcome).toBe('clean');
    const r = await portPatch(patch, target, { upstreamTree: tree({ [CORE]: CORE_C, 'include/linux/gizmo.h': '#pragma once\n' }) });
    expect(r.refusal?.check).toBe('missing-header');
  });
});

describe('call-arity', () => {
  const HELPER = `static int gizmo_flush(struct widget_dev *wd, int level)
{
	return level;
}

`;
  const base = edit(CORE_C, 'static void widget_teardown', `${HELPER}static void widget_teardown`).replace('\twd->count = 0;\n}', '\twd->count = 0;\n\tgizmo_flush(wd, 1);\n}');

  it('refuses a call whose argument count differs from the target\'s definition and calls', async () => {
    const patch = upstream(CORE, base, edit(base, '\tgizmo_flush(wd, 1);\n}', '\tgizmo_flush(wd, 1);\n\tgizmo_flush(wd, 2, true);\n}'));
    const r = await portPatch(patch, tree({ [CORE]: base }));
    expect(r.refusal?.check).toBe('call-arity');
    expect(r.refusal?.reason).toContain('`gizmo_flush` with 3 argument(s)');
    // the same count as the target's: fine
    const ok = upstream(CORE, base, edit(base, '\tgizmo_flush(wd, 1);\n}', '\tgizmo_flush(wd, 1);\n\tgizmo_flush(wd, 2);\n}'));
    expect((await portPatch(ok, tree({ [CORE]: base }))).outcome).toBe('clean');
  });

  it('accepts it when upstream\'s file had the target\'s count before the change (the change alters the signature)', async () => {
    const patch = upstream(CORE, base, edit(base, '\tgizmo_flush(wd, 1);\n}', '\tgizmo_flush(wd, 1);\n\tgizmo_flush(wd, 2, true);\n}'));
    expect((await portPatch(patch, tree({ [CORE]: base }), { upstreamTree: tree({ [CORE]: base }) })).outcome).toBe('clean');
  });
});

describe('duplicate-definition', () => {
  it('refuses adding a function the target file already defines', async () => {
    const fn = 'static void widget_idle(struct widget_dev *wd)\n{\n\twd->state = 0;\n}\n\n';
    const upBase = CORE_C;
    const upAfter = edit(CORE_C, 'static void widget_teardown', `${fn}static void widget_teardown`);
    const target = edit(CORE_C, 'static int widget_setup', `${fn.replace('wd->state = 0', 'wd->state = 1')}static int widget_setup`);
    const r = await portPatch(upstream(CORE, upBase, upAfter), tree({ [CORE]: target }));
    expect(r.refusal?.check).toBe('duplicate-definition');
    expect(r.refusal?.reason).toContain('widget_idle');
    expect((await portPatch(upstream(CORE, upBase, upAfter), tree({ [CORE]: CORE_C }))).outcome).toBe('clean');
  });
});

describe('undeclared-local: a bare call argument', () => {
  it('refuses passing a parameter of another function that this function does not have', async () => {
    // widget_resync takes `attrs`; upstream's teardown passes its own `attrs`, which the target's teardown lacks
    const resync = 'static int widget_resync(struct widget_dev *wd, unsigned long attrs)\n{\n\treturn widget_sync(wd->dev, wd->count, attrs);\n}\n\n';
    const base = edit(CORE_C, 'static void widget_teardown', `${resync}static void widget_teardown`);
    const r = await portPatch(addToTeardown('\twidget_sync(wd->dev, 0, attrs);\n', base), tree({ [CORE]: base }));
    expect(r.refusal?.check).toBe('undeclared-local');
    expect(r.refusal?.reason).toContain('`attrs`');
    // a file-scope name passed the same way is fine
    const ok = await portPatch(addToTeardown('\twidget_sync(wd->dev, 0, WIDGET_TO_DEVICE);\n', base), tree({ [CORE]: base }));
    expect(ok.outcome).toBe('clean');
  });
});

describe("undeclared-local: upstream's locals and struct members", () => {
  // upstream's teardown has a local `count`; the target's does not. `wd->count` is the struct's member either way.
  const upBase = edit(CORE_C, 'static void widget_teardown(struct widget_dev *wd)\n{\n', 'static void widget_teardown(struct widget_dev *wd)\n{\n\tunsigned int count = wd->count;\n\n\tpr_debug_count(count);\n');
  const fix = (use: string) => upstream(CORE, upBase, edit(upBase, '\twd->count = 0;\n}', `\twd->count = 0;\n\tif (${use})\n\t\twidget_reset(wd);\n}`));
  const trees = () => ({ target: tree({ [CORE]: CORE_C }), upstreamTree: tree({ [CORE]: upBase }) });

  it('a member that shares its name with a local of upstream\'s function is not a variable', async () => {
    const { target, upstreamTree } = trees();
    const r = await portPatch(fix('wd->count'), target, { upstreamTree });
    expect(r.refusal?.reason ?? r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\twd->count = 0;\n\tif (wd->count)\n\t\twidget_reset(wd);\n}');
  });

  it('the local itself, used as a value, is still one the target lacks', async () => {
    const { target, upstreamTree } = trees();
    const bad = await portPatch(fix('count'), target, { upstreamTree });
    expect(bad.refusal?.check).toBe('undeclared-local');
    expect(bad.refusal?.reason).toContain('`count`');
  });
});
