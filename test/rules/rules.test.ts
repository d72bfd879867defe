import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { StablebotError } from '../../app/core/errors.ts';
import { loadDefaultRules, loadRulesFrom, parseRuleFile } from '../../app/rules/load.ts';
import { renderNote } from '../../app/rules/note.ts';
import { CORE_C, WIDGET_H, edit, upstream, treesPerTest } from '../apply/fixture.ts';
import { DEFAULT_RULES_DIR } from '../../app/rules/load.ts';

const CORE = 'drivers/widget/core.c';
const HDR = 'include/linux/widget.h';
const tree = treesPerTest({ [HDR]: WIDGET_H });

/** upstream: widget_setup passes `name` to widget_map and, after the fix, also to widget_sync */
function syncFix(name: string) {
  const before = edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', `WIDGET_TO_DEVICE, ${name});`);
  const after = edit(before, '\t\treturn err;\n\n\twd->count', `\t\treturn err;\n\terr = widget_sync(wd->dev, count, ${name});\n\tif (err)\n\t\treturn err;\n\n\twd->count`);
  return upstream(CORE, before, after, 'static int widget_setup(struct widget_dev *wd, unsigned int count)');
}

describe('context substitution', () => {
  it.each(['attrs', 'flags'])('replaces upstream `%s` by the target literal 0 in the added lines', async (name) => {
    const r = await portPatch(syncFix(name), tree({ [CORE]: CORE_C }));
    expect(r.outcome).toBe('adapted');
    expect(r.method).toBe('rules');
    expect(r.files[0].content).toContain('\terr = widget_sync(wd->dev, count, 0);\n');
    expect(r.files[0].content).not.toContain(name + ')');
    expect(r.adaptations).toHaveLength(1);
    expect(r.adaptations[0]).toMatchObject({ rule: 'context-substitution', file: CORE, hunk: 1, params: { from: name, to: '0' } });
    expect(r.adaptations[0].note).toContain(`\`${name}\``);
    // the applied diff says the same thing, in target terms
    expect(r.applied[0].hunks[0].lines.filter((l) => l.op === '+').map((l) => l.text)).toContain('\terr = widget_sync(wd->dev, count, 0);');
  });

  it('substitutes another token pair: upstream `timeout` where the target passes 100', async () => {
    const r = await portPatch(syncFix('timeout'), tree({ [CORE]: edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, 100);') }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('widget_sync(wd->dev, count, 100);');
    expect(r.adaptations[0].params).toMatchObject({ from: 'timeout', to: '100' });
  });

  it('applies exactly, with nothing to adapt, when the target already uses upstream\'s token', async () => {
    const r = await portPatch(syncFix('dir'), tree({ [CORE]: edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, dir);') }));
    expect(r.outcome).toBe('clean');
    expect(r.adaptations).toEqual([]);
  });

  it('renames an identifier when a rule of the same type allows identifier -> identifier (data only)', async () => {
    const [rename] = parseRuleFile(
      `name: test-rename\ntype: context-substitution\ndescription: d\nprecondition: { from: identifier, to: identifier, minUnchangedLines: 1 }\ntransform: { applyTo: added-lines }\nnote: "use {to} for {from}"\n`,
      'inline',
    );
    const r = await portPatch(syncFix('attrs'), tree({ [CORE]: edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, wd->attrs);') }), { rules: [rename] });
    // `wd->attrs` is three tokens against one: not a single-token substitution
    expect(r.outcome).toBe('refused');
    const r2 = await portPatch(syncFix('attrs'), tree({ [CORE]: edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, map_attrs);') }), { rules: [rename] });
    expect(r2.outcome).toBe('adapted');
    expect(r2.files[0].content).toContain('widget_sync(wd->dev, count, map_attrs);');
    expect(r2.adaptations[0].note).toBe('use map_attrs for attrs');
  });

  it('refuses two different substitutions in one anchor', async () => {
    const target = edit(CORE_C, 'err = widget_map(wd->dev, wd->buf, count, WIDGET_TO_DEVICE, 0);', 'err = widget_map(wd->dev, wd->data, count, WIDGET_TO_DEVICE, 0);');
    const r = await portPatch(syncFix('attrs'), tree({ [CORE]: target }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('conflicting-substitutions');
  });

  it('does not substitute when the identifier is declared in the target function', async () => {
    const target = edit(CORE_C, '\tint err;\n', '\tunsigned long attrs = widget_default_attrs();\n\tint err;\n');
    const r = await portPatch(syncFix('attrs'), tree({ [CORE]: target }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('substitution-declared');
  });
});

describe('symbol history', () => {
  const timerFix = () => {
    const after = edit(CORE_C, 'static void widget_teardown', 'static void widget_timeout(struct timer_list *t)\n{\n\tstruct widget_dev *wd = timer_container_of(wd, t, timer);\n\n\twidget_reset(wd);\n}\n\nstatic void widget_teardown');
    return upstream(CORE, CORE_C, after);
  };
  const timerH = (decl: string) => `struct timer_list { unsigned long expires; };\nstruct widget_timer { struct timer_list timer; };\n${decl}\n`;

  it('uses the old name when the tree lacks the new one and has the old one', async () => {
    const r = await portPatch(timerFix(), tree({ [CORE]: CORE_C, 'include/linux/timer.h': timerH('') }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('struct widget_dev *wd = from_timer(wd, t, timer);');
    expect(r.adaptations[0]).toMatchObject({ rule: 'symbol-history', params: { from: 'timer_container_of', to: 'from_timer', introducedIn: 'v6.16' } });
    expect(r.adaptations[0].note).toBe('`timer_container_of` does not exist before v6.16: use `from_timer`');
  });

  it('uses the general function for a narrower variant the tree lacks, naming no release it cannot vouch for', async () => {
    const net = 'include/net/dst.h';
    const dstH = 'struct dst_entry { unsigned int (*mtu)(const struct dst_entry *); };\nstatic inline u32 dst_mtu(const struct dst_entry *dst) { return dst->mtu(dst); }\n';
    const before = edit(CORE_C, '\twd->count = 0;\n}', '\twd->count = 0;\n}\n\nstatic u32 widget_mtu(const struct dst_entry *dst)\n{\n\treturn 1500;\n}');
    const after = edit(before, '\treturn 1500;', '\treturn dst6_mtu(dst);');
    const r = await portPatch(upstream(CORE, before, after), tree({ [CORE]: before, [net]: dstH }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\treturn dst_mtu(dst);');
    expect(r.adaptations[0]).toMatchObject({ rule: 'symbol-variant', params: { from: 'dst6_mtu', to: 'dst_mtu' } });
    expect(r.adaptations[0].note).toBe('`dst6_mtu` does not exist on this branch: use `dst_mtu`, the same call without its narrower indirect-call hint');
    // a tree that has the variant keeps it
    const has = await portPatch(upstream(CORE, before, after), tree({ [CORE]: before, [net]: dstH + 'static inline u32 dst6_mtu(const struct dst_entry *dst) { return dst->mtu(dst); }\n' }));
    expect(has.outcome).toBe('clean');
  });

  it('keeps the new name when the tree has it', async () => {
    const r = await portPatch(timerFix(), tree({ [CORE]: CORE_C, 'include/linux/timer.h': timerH('#define timer_container_of(var, t, f) from_timer(var, t, f)') }));
    expect(r.outcome).toBe('clean');
    expect(r.files[0].content).toContain('timer_container_of(wd, t, timer)');
  });

  it('refuses when the tree has neither name', async () => {
    const hdr = WIDGET_H.replace(/#define from_timer.*\n/, '');
    const r = await portPatch(timerFix(), tree({ [HDR]: hdr, [CORE]: CORE_C, 'include/linux/timer.h': timerH('') }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('unknown-identifier');
  });
});

describe('file moved', () => {
  it('applies the hunk to the one file that holds its whole anchor, naming both paths', async () => {
    const fix = upstream(CORE, CORE_C, edit(CORE_C, '\twd->count = 0;\n}', '\twd->count = 0;\n\twidget_reset(wd);\n}'));
    const moved = 'drivers/widget/widget-main.c';
    const r = await portPatch(fix, tree({ [moved]: CORE_C, 'drivers/other/unrelated.c': 'int unrelated;\n' }));
    expect(r.outcome).toBe('adapted');
    expect(r.files.map((f) => f.path)).toEqual([moved]);
    expect(r.files[0].content).toContain('\twidget_reset(wd);\n}');
    expect(r.adaptations[0]).toMatchObject({ rule: 'file-moved', params: { fromPath: CORE, toPath: moved } });
    expect(r.applied[0].oldPath).toBe(moved);
  });

  it('refuses when the file is gone and its code is nowhere', async () => {
    const fix = upstream(CORE, CORE_C, edit(CORE_C, '\twd->count = 0;\n}', '\twd->count = 0;\n\twidget_reset(wd);\n}'));
    const r = await portPatch(fix, tree({ 'drivers/widget/other.c': 'int x;\n' }));
    expect(r.refusal?.check).toBe('absent-code');
  });
});

describe('context drift (disabled by default, enabled by passing the rule)', () => {
  const drift = () => loadRulesFrom(DEFAULT_RULES_DIR).filter((r) => r.type === 'context-drift');
  const fix = () => upstream(CORE, CORE_C, edit(CORE_C, '\twd->count = 0;\n}', '\twd->count = 0;\n\twidget_reset(wd);\n}'));
  // the target added a line right after the change point: the trailing context drifted
  const target = edit(CORE_C, '\twd->count = 0;\n}\n', '\twd->count = 0;\n\twd->state = 0;\n}\n');

  it('is off in the default rules: the drifted hunk is refused', async () => {
    expect((await portPatch(fix(), tree({ [CORE]: target }))).outcome).toBe('refused');
  });

  it('applies against the matching side and records the adjustment when enabled', async () => {
    const r = await portPatch(fix(), tree({ [CORE]: target }), { rules: [...loadDefaultRules(), ...drift().map((d) => ({ ...d, enabled: true }))] });
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\twd->count = 0;\n\twidget_reset(wd);\n\twd->state = 0;\n}');
    expect(r.adaptations[0]).toMatchObject({ rule: 'context-drift', params: { side: 'after' } });
  });
});

describe('rule files', () => {
  it('loads and validates the repository rules, one engine type per kind', () => {
    const all = loadRulesFrom(DEFAULT_RULES_DIR);
    expect(new Set(all.map((r) => r.type))).toEqual(new Set(['context-substitution', 'context-drift', 'reduced-context', 'symbol-history', 'file-moved', 'absent-code', 'reindent', 'aligned-rename', 'renamed-context', 'aligned-context', 'api-rewrite', 'removed-definition', 'drifted-removal']));
    const enabled = loadDefaultRules();
    expect(enabled.every((r) => r.enabled)).toBe(true);
    expect(enabled.map((r) => r.name)).toContain('context-substitution');
  });

  it('rejects an invalid rule with the file and field named', () => {
    expect(() => parseRuleFile('name: Bad Name\ntype: absent-code\n', 'bad.yml')).toThrow(StablebotError);
    expect(() => parseRuleFile('name: x\ntype: nonsense\ndescription: d\nnote: n\n', 'odd.yml')).toThrow(/odd\.yml/);
    expect(() => parseRuleFile(': : :', 'broken.yml')).toThrow(/broken\.yml/);
  });

  it('renders notes, leaving unknown placeholders to the caller only when asked', () => {
    expect(renderNote('`{from}` is new{introducedBy}: pass {to}', { from: 'attrs', to: '0' })).toBe('`attrs` is new: pass 0');
    expect(renderNote('`{from}`{introducedBy}', { from: 'attrs' }, true)).toBe('`attrs`{introducedBy}');
  });
});

describe('reduced context', () => {
  /** upstream adds a reset after widget_setup's error check; its outermost context line reads differently on the target */
  const up = edit(CORE_C, '\t\treturn err;\n\n\twd->count = count;\n', '\t\treturn err;\n\n\twidget_reset(wd);\n\twd->count = count;\n');

  it('drops outer context lines that differ, keeps the change as upstream wrote it, and names the adaptation', async () => {
    const target = edit(CORE_C, '\tint err;\n', '\tint err = 0;\n').replace('\treturn 0;\n}', '\treturn count;\n}');
    const patch = upstream(CORE, CORE_C, up, 'static int widget_setup(struct widget_dev *wd, unsigned int count)');
    const r = await portPatch(patch, tree({ [CORE]: edit(target, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, 0); /* map */') }));
    expect(r.outcome).toBe('adapted');
    expect(r.adaptations.map((a) => a.rule)).toEqual(['reduced-context']);
    expect(r.adaptations[0].note).toContain('outer context');
    expect(r.files[0].content).toContain('\t\treturn err;\n\n\twidget_reset(wd);\n\twd->count = count;\n');
  });

  it('refuses when a dropped line mentions what the added lines use and the target lacks there', async () => {
    // upstream passes `attrs` in the outermost context line and to the added call; the target passes `0` there and
    // also spells `count` as `len` (two differences: no substitution rule explains them)
    const upBefore = edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, attrs);');
    const upAfter = edit(upBefore, '\t\treturn err;\n\n\twd->count', '\t\treturn err;\n\twidget_sync(wd->dev, count, attrs);\n\n\twd->count');
    const target = edit(CORE_C, 'wd->buf, count, WIDGET_TO_DEVICE, 0);', 'wd->buf, count + 0, WIDGET_TO_DEVICE, 0);');
    const patch = upstream(CORE, upBefore, upAfter);
    expect(patch[0].hunks[0].lines[0].text).toContain('attrs');
    const r = await portPatch(patch, tree({ [CORE]: target }));
    expect(r.outcome).toBe('refused');
    // the same hunk where the dropped line differs in what the change does not use is placed
    const other = edit(CORE_C, 'wd->buf, count, WIDGET_TO_DEVICE, 0);', 'wd->buf, count, WIDGET_TO_DEVICE, attrs | 1);');
    const ok = await portPatch(patch, tree({ [CORE]: other }));
    expect(ok.adaptations.map((a) => a.rule)).toEqual(['reduced-context']);
  });

  it('refuses when the remaining anchor matches in two places', async () => {
    const twice = CORE_C + '\nstatic int widget_again(struct widget_dev *wd, unsigned int count)\n{\n\tint err = 1;\n\tif (err)\n\t\treturn err;\n\n\twd->count = count;\n\treturn 1;\n}\n';
    const upBefore = twice;
    const upAfter = edit(twice, '\t\treturn err;\n\n\twd->count = count;\n\treturn 0;', '\t\treturn err;\n\n\twidget_reset(wd);\n\twd->count = count;\n\treturn 0;');
    const target = edit(twice, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, 1);').replace('\treturn 0;\n}', '\treturn 2;\n}');
    const r = await portPatch(upstream(CORE, upBefore, upAfter), tree({ [CORE]: target }));
    expect(r.refusal?.check).toBe('ambiguous-anchor');
  });
});

describe('reindent', () => {
  const body = ['widget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);', 'wd->count = 0;', 'wd->state = 0;', 'wd->buf = NULL;', 'wd->dev = NULL;', 'widget_sync(NULL, 0, 0);'];
  const fn = (lines: string[], indent: string) => `static void widget_stop(struct widget_dev *wd)\n{\n${lines.map((l) => indent + l + '\n').join('')}}\n`;
  /** upstream's code sits inside an `if` (two tabs); the target's at one tab */
  const upBefore = `#include <linux/widget.h>\n\n` + fn(['if (wd->buf) {', ...body.map((l) => '\t' + l), '}'], '\t');
  const upAfter = edit(upBefore, '\t\twd->state = 0;\n', '\t\twd->state = 0;\n\t\twidget_reset(wd);\n');
  const target = `#include <linux/widget.h>\n\n` + fn(body, '\t');

  it('shifts the added lines by the tab difference every context line shows, and names it', async () => {
    const r = await portPatch(upstream(CORE, upBefore, upAfter), tree({ [CORE]: target }));
    expect(r.outcome).toBe('adapted');
    expect(r.adaptations.map((a) => a.rule)).toEqual(['reindent']);
    expect(r.adaptations[0].params).toMatchObject({ indentShift: '-1' });
    expect(r.adaptations[0].note).toContain('shallower');
    expect(r.files[0].content).toContain('\twd->state = 0;\n\twidget_reset(wd);\n\twd->buf = NULL;\n');
  });

  it('leaves a mixed picture alone (some lines shifted, some not): the added line stays as upstream wrote it', async () => {
    const mixed = edit(target, '\twd->count = 0;\n', '\t\twd->count = 0;\n');
    const r = await portPatch(upstream(CORE, upBefore, upAfter), tree({ [CORE]: mixed }));
    expect(r.adaptations.map((a) => a.rule)).not.toContain('reindent');
    expect(r.files[0]?.content ?? '').not.toContain('\n\twidget_reset(wd);');
  });
});
