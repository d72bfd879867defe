import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { CORE_C, WIDGET_H, edit, upstream, treesPerTest } from './fixture.ts';

const CORE = 'drivers/widget/core.c';
const HDR = 'include/linux/widget.h';
const tree = treesPerTest({ [HDR]: WIDGET_H });

/** upstream adds a reset call at the end of widget_teardown */
const RESET_BEFORE = CORE_C;
const RESET_AFTER = edit(CORE_C, '\twd->count = 0;\n}', '\twd->count = 0;\n\twidget_reset(wd);\n}');

describe('exact apply', () => {
  it('applies at the stated line', async () => {
    const r = await portPatch(upstream(CORE, RESET_BEFORE, RESET_AFTER), tree({ [CORE]: CORE_C }));
    expect(r.outcome).toBe('clean');
    expect(r.method).toBe('exact');
    expect(r.files).toEqual([{ path: CORE, content: RESET_AFTER }]);
    expect(r.applied[0].hunks[0].oldStart).toBe(upstream(CORE, RESET_BEFORE, RESET_AFTER)[0].hunks[0].oldStart);
  });

  it('finds the place at an offset, like patch, and reports target line numbers', async () => {
    const banner = '/*\n * Widget core.\n *\n * Maintained elsewhere.\n */\n\n';
    const target = edit(CORE_C, '#include <linux/widget.h>\n', `#include <linux/widget.h>\n${banner}`);
    const patch = upstream(CORE, RESET_BEFORE, RESET_AFTER);
    const r = await portPatch(patch, tree({ [CORE]: target }));
    expect(r.outcome).toBe('clean');
    expect(r.files[0].content).toBe(edit(target, '\twd->count = 0;\n}', '\twd->count = 0;\n\twidget_reset(wd);\n}'));
    expect(r.applied[0].hunks[0].oldStart).toBe(patch[0].hunks[0].oldStart + 6);
  });

  it('prefers the function named by the @@ section over a nearer identical place', async () => {
    const fn = (name: string) => `static void ${name}(struct widget_dev *wd)\n{\n\twidget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);\n\twd->count = 0;\n}\n`;
    const before = `${fn('widget_a')}\n${fn('widget_b')}`;
    const after = edit(before, `${fn('widget_b')}`, fn('widget_b').replace('\twd->count = 0;\n', '\twd->count = 0;\n\twidget_reset(wd);\n'));
    const patch = upstream(CORE, before, after, 'static void widget_b(struct widget_dev *wd)');
    // the target moved widget_b far down: widget_a is now nearer to the stated line
    const filler = Array.from({ length: 30 }, (_, i) => `/* filler ${i} */`).join('\n');
    const target = `${fn('widget_a')}\n${filler}\n${fn('widget_b')}`;
    const r = await portPatch(patch, tree({ [CORE]: target }));
    expect(r.outcome).toBe('clean');
    expect(r.files[0].content).toContain('static void widget_b(struct widget_dev *wd)\n{\n\twidget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);\n\twd->count = 0;\n\twidget_reset(wd);');
    expect(r.files[0].content!.indexOf('widget_reset')).toBeGreaterThan(r.files[0].content!.indexOf('widget_b'));
  });
});

describe('relocation', () => {
  it('relocates a whitespace-different anchor when unique, keeping the target text for context', async () => {
    const target = edit(CORE_C, '\twidget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);', '        widget_unmap(wd->dev, wd->buf,  WIDGET_TO_DEVICE);');
    const r = await portPatch(upstream(CORE, RESET_BEFORE, RESET_AFTER), tree({ [CORE]: target }));
    expect(r.outcome).toBe('clean');
    expect(r.method).toBe('relocation');
    expect(r.files[0].content).toContain('        widget_unmap(wd->dev, wd->buf,  WIDGET_TO_DEVICE);\n\twd->count = 0;\n\twidget_reset(wd);\n');
  });

  it('refuses when the whitespace-insensitive anchor is not unique', async () => {
    const body = '{\n        widget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);\n        wd->count = 0;\n}\n';
    const target = `static void widget_x(struct widget_dev *wd)\n${body}\nstatic void widget_y(struct widget_dev *wd)\n${body}`;
    const before = `static void widget_teardown(struct widget_dev *wd)\n{\n\twidget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);\n\twd->count = 0;\n}\n`;
    const after = edit(before, '\twd->count = 0;\n', '\twd->count = 0;\n\twidget_reset(wd);\n');
    const r = await portPatch(upstream(CORE, before, after).map((f) => ({ ...f, hunks: f.hunks.map((h) => ({ ...h, lines: h.lines.filter((l) => !l.text.startsWith('static')) })) })), tree({ [CORE]: target }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('ambiguous-anchor');
    expect(r.files).toEqual([]);
  });
});

describe('refusals', () => {
  it('refuses a hunk whose code does not exist on the target (absent-code)', async () => {
    const before = edit(CORE_C, '\twd->count = 0;\n}', '\twidget_flush_queue(wd, WIDGET_TO_DEVICE);\n\twd->count = 0;\n}');
    const after = edit(before, '\twidget_flush_queue(wd, WIDGET_TO_DEVICE);\n', '\twidget_flush_queue_locked(wd, WIDGET_TO_DEVICE);\n');
    const target = edit(CORE_C, '\twidget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);\n\twd->count = 0;\n', '\twd->count = 1;\n');
    const r = await portPatch(upstream(CORE, before, after), tree({ [CORE]: target }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('absent-code');
  });

  it('says already-applied when the target has the result', async () => {
    const r = await portPatch(upstream(CORE, RESET_BEFORE, RESET_AFTER), tree({ [CORE]: RESET_AFTER }));
    expect(r.refusal?.check).toBe('already-applied');
  });

  it('is all-or-nothing: one refused file means no file content at all', async () => {
    const other = 'drivers/widget/extra.c';
    const patch = [...upstream(CORE, RESET_BEFORE, RESET_AFTER), ...upstream(other, 'int a;\nint b;\nint c;\n', 'int a;\nint b2;\nint c;\n')];
    const r = await portPatch(patch, tree({ [CORE]: CORE_C, [other]: 'int x;\n' }));
    expect(r.outcome).toBe('refused');
    expect(r.files).toEqual([]);
    expect(r.applied).toEqual([]);
  });
});
