import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { CORE_C, WIDGET_H, edit, upstream, treesPerTest } from './fixture.ts';

const CORE = 'drivers/widget/core.c';
const HDR = 'include/linux/widget.h';
const tree = treesPerTest({ [HDR]: WIDGET_H });
/** upstream adds `lines` at the end of widget_teardown */
function addToTeardown(lines: string) {
  return upstream(CORE, CORE_C, edit(CORE_C, '\twd->count = 0;\n}', `\twd->count = 0;\n${lines}}`));
}
/** upstream adds `lines` after widget_setup's error check */
function addToSetup(lines: string) {
  return upstream(CORE, CORE_C, edit(CORE_C, '\t\treturn err;\n\n', `\t\treturn err;\n${lines}\n`));
}

describe('safety checks', () => {
  it('unknown-identifier: a name declared neither in the file nor in any header', async () => {
    const r = await portPatch(addToTeardown('\twidget_frobnicate(wd);\n'), tree({ [CORE]: CORE_C }));
    expect(r.refusal).toMatchObject({ check: 'unknown-identifier', file: CORE, hunk: 1 });
    expect(r.refusal?.reason).toContain('widget_frobnicate');
    // a mention in a header COMMENT is not a declaration (word index skips comments)
    const commented = tree({ [HDR]: WIDGET_H + '/* widget_frobnicate() is planned */\n', [CORE]: CORE_C }, { wordIndex: true });
    expect((await portPatch(addToTeardown('\twidget_frobnicate(wd);\n'), commented)).refusal?.check).toBe('unknown-identifier');
  });

  it('unknown-identifier: names declared by the patch itself, in any file, are known', async () => {
    const helper = 'drivers/widget/helper.h';
    const patch = [...upstream(helper, '#pragma once\n', '#pragma once\nvoid widget_frobnicate(struct widget_dev *wd);\n'), ...addToTeardown('\twidget_frobnicate(wd);\n')];
    const r = await portPatch(patch, tree({ [CORE]: CORE_C, [helper]: '#pragma once\n' }));
    expect(r.outcome).toBe('clean');
    expect(r.files.map((f) => f.path)).toEqual([helper, CORE]);
  });

  it('checks: false applies what a check would refuse (only to measure the checks)', async () => {
    const r = await portPatch(addToTeardown('\twidget_frobnicate(wd);\n'), tree({ [CORE]: CORE_C }), { checks: false });
    expect(r.outcome).toBe('clean');
    expect(r.files[0].content).toContain('\twidget_frobnicate(wd);\n}');
  });

  it('unknown-identifier can be turned off for hunk-isolated input', async () => {
    const r = await portPatch(addToTeardown('\twidget_frobnicate(wd);\n'), tree({ [CORE]: CORE_C }), { strictIdentifiers: false });
    expect(r.outcome).toBe('clean');
  });

  it('missing-header: an added include the tree does not have', async () => {
    const patch = upstream(CORE, CORE_C, edit(CORE_C, '#include <linux/widget.h>\n', '#include <linux/widget.h>\n#include <linux/gizmo.h>\n'));
    expect((await portPatch(patch, tree({ [CORE]: CORE_C }))).refusal?.check).toBe('missing-header');
    expect((await portPatch(patch, tree({ [CORE]: CORE_C, 'include/linux/gizmo.h': '#pragma once\n' }))).outcome).toBe('clean');
  });

  it('format-type: a specifier that does not fit the declared type', async () => {
    const r = await portPatch(addToSetup('\tpr_debug("mapped %llu bytes\\n", count);\n'), tree({ [CORE]: CORE_C, 'include/linux/printk.h': '#define pr_debug(fmt, ...) 0\n' }));
    expect(r.refusal?.check).toBe('format-type');
    expect(r.refusal?.reason).toContain('unsigned int');
    const ok = await portPatch(addToSetup('\tpr_debug("mapped %u bytes\\n", count);\n'), tree({ [CORE]: CORE_C, 'include/linux/printk.h': '#define pr_debug(fmt, ...) 0\n' }));
    expect(ok.outcome).toBe('clean');
  });

  it('struct-member: a member the target struct lacks, though the name exists elsewhere', async () => {
    const gizmo = 'include/linux/gizmo.h';
    const r = await portPatch(addToTeardown('\twd->flags = 0;\n'), tree({ [CORE]: CORE_C, [gizmo]: 'struct gizmo { unsigned int flags; };\n' }));
    expect(r.refusal?.check).toBe('struct-member');
    expect(r.refusal?.reason).toContain('struct widget_dev');
    const ok = await portPatch(addToTeardown('\twd->state = 0;\n'), tree({ [CORE]: CORE_C }));
    expect(ok.outcome).toBe('clean');
  });

  it('undeclared-local: a local of other functions, not declared in this one', async () => {
    const r = await portPatch(addToTeardown('\terr = widget_reset(wd);\n'), tree({ [CORE]: CORE_C }));
    expect(r.refusal?.check).toBe('undeclared-local');
    expect(r.refusal?.reason).toContain('`err`');
    // declared by a sibling hunk of the same function: fine
    const before = CORE_C;
    const after = edit(edit(CORE_C, 'static void widget_teardown(struct widget_dev *wd)\n{\n', 'static void widget_teardown(struct widget_dev *wd)\n{\n\tint err;\n\n'), '\twd->count = 0;\n}', '\twd->count = 0;\n\terr = widget_reset(wd);\n\tWARN_ON(err);\n}');
    const ok = await portPatch(upstream(CORE, before, after), tree({ [CORE]: CORE_C, 'include/linux/bug.h': '#define WARN_ON(x) (x)\n' }));
    expect(ok.outcome).toBe('clean');
  });

  it('undeclared-local: a member name passed to container_of/struct_size is not a variable', async () => {
    // `err` is a local of widget_setup; passed bare as the member argument of these macros it names a member
    const macros = { 'include/linux/container_of.h': '#define container_of(p, t, m) ((t *)(p))\n#define struct_size(p, m, n) (sizeof(*(p)) + (n))\n#define kfree_rcu(p, m) ((void)(p))\n' };
    for (const use of ['\twd->buf = container_of(wd->buf, struct widget_dev, err);\n', '\twd->count = struct_size(wd, err, wd->count);\n', '\tkfree_rcu(wd, err);\n']) {
      expect((await portPatch(addToTeardown(use), tree({ [CORE]: CORE_C, ...macros }))).outcome).toBe('clean');
    }
    // a call opened on the line before
    expect((await portPatch(addToTeardown('\twd->buf = container_of(wd->buf,\n\t\t\t       struct widget_dev, err);\n'), tree({ [CORE]: CORE_C, ...macros }))).outcome).toBe('clean');
    // the same name as a value argument still needs a declaration
    const r = await portPatch(addToTeardown('\twd->count = struct_size(wd, buf, err);\n'), tree({ [CORE]: CORE_C, ...macros }));
    expect(r.refusal?.check).toBe('undeclared-local');
  });

  it('undeclared-local looks only at function bodies: not struct members, macro bodies, goto targets', async () => {
    // `err` is a local of widget_setup; each use below is not a variable of a function
    const macros = { 'include/linux/flex.h': '#define DECLARE_FLEX_ARRAY(t, n) t n[]\n' };
    const hdr = edit(WIDGET_H, '\tu32 state;\n', '\tu32 state;\n\tunion {\n\t\tchar err[1];\n\t} tail;\n');
    const inStruct = upstream(HDR, hdr, edit(hdr, '\t\tchar err[1];\n', '\t\tDECLARE_FLEX_ARRAY(char, err);\n'));
    const rs = await portPatch(inStruct, tree({ [HDR]: hdr, [CORE]: CORE_C, ...macros }));
    expect(rs.refusal?.reason ?? rs.outcome).toBe('clean');
    const macroC = edit(CORE_C, 'static void widget_teardown', '#define widget_each(wd, err) \\\n\tfor (err = 0; err < (wd)->count; err++)\n\nstatic void widget_teardown');
    const inMacro = upstream(CORE, macroC, edit(macroC, '\tfor (err = 0; err < (wd)->count; err++)\n', '\tfor (err = 0; err < (wd)->count && (wd)->buf; err++)\n'));
    const rm = await portPatch(inMacro, tree({ [CORE]: macroC }));
    expect(rm.refusal?.reason ?? rm.outcome).toBe('clean');
    // a label of the enclosing function named like a local elsewhere: a goto target, not a variable
    const labelled = edit(CORE_C, '\twd->count = 0;\n}', '\twd->count = 0;\nerr:\n\treturn;\n}');
    const jump = upstream(CORE, labelled, edit(labelled, '\twidget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);\n', '\twidget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);\n\tif (!wd->buf)\n\t\tgoto err;\n'));
    const rj = await portPatch(jump, tree({ [CORE]: labelled }));
    expect(rj.refusal?.reason ?? rj.outcome).toBe('clean');
  });

  it('kconfig-symbol: an added dependency no Kconfig file defines', async () => {
    const kc = 'drivers/widget/Kconfig';
    const base = 'config WIDGET\n\ttristate "Widget support"\n\tdepends on OF\n\thelp\n\t  Widgets.\n';
    const arch = { 'arch/Kconfig': 'config OF\n\tbool\n\nconfig HAS_IOMEM\n\tbool\n' };
    const bad = upstream(kc, base, edit(base, '\tdepends on OF\n', '\tdepends on OF\n\tdepends on GIZMO_BUS\n'));
    expect((await portPatch(bad, tree({ [kc]: base, ...arch }))).refusal?.check).toBe('kconfig-symbol');
    const good = upstream(kc, base, edit(base, '\tdepends on OF\n', '\tdepends on OF\n\tdepends on HAS_IOMEM\n'));
    expect((await portPatch(good, tree({ [kc]: base, ...arch }))).outcome).toBe('clean');
  });

  it('overlapping hunks are refused', async () => {
    const patch = addToTeardown('\twidget_reset(wd);\n');
    patch[0].hunks.push(structuredClone(patch[0].hunks[0]));
    const r = await portPatch(patch, tree({ [CORE]: CORE_C }));
    expect(r.refusal?.check).toBe('overlapping-hunks');
  });
});
