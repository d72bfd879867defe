import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { StablebotError } from '../../app/core/errors.ts';
import { parseRuleFile } from '../../app/rules/load.ts';
import { parseTemplate, rewriteCalls } from '../../app/rules/call-template.ts';
import { edit, upstream, treesPerTest } from '../apply/fixture.ts';

/*
 * A small gadget driver, written for these tests. Upstream's fix allocates with the newer helpers; the target's
 * headers have only the older ones (or, in the control cases, the newer ones too, or neither).
 */
const DRV = 'drivers/gadget/gadget.c';
const SLAB_OLD = `#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H
void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void *kcalloc(size_t n, size_t size, gfp_t flags);
#define struct_size(p, member, count) (sizeof(*(p)) + sizeof(*(p)->member) * (count))
#endif
`;
const SLAB_NEW = SLAB_OLD.replace('#endif', '#define kzalloc_obj(P, ...) kzalloc(sizeof(P), GFP_KERNEL)\n#endif');
const HRTIMER_OLD = `struct hrtimer { int (*function)(struct hrtimer *); };
#define CLOCK_MONOTONIC 1
#define HRTIMER_MODE_REL 1
void hrtimer_init(struct hrtimer *timer, int clock_id, int mode);
`;
const GFP_H = `#define GFP_KERNEL 0x400u
#define GFP_ATOMIC 0x800u
#define __GFP_NOWARN 0x2000u
#define EINVAL 22
`;
const GADGET_C = `// SPDX-License-Identifier: GPL-2.0
#include <linux/slab.h>
#include <linux/hrtimer.h>

struct gadget_ring {
	unsigned int len;
	struct gadget_slot slots[];
};

struct gadget {
	struct gadget_ring *ring;
	struct gadget_stats *stats;
	u32 *ids;
	struct hrtimer poll;
};

static int gadget_poll(struct hrtimer *t)
{
	return 0;
}

static int gadget_alloc(struct gadget *g, unsigned int n)
{
	g->stats = NULL;
	return 0;
}
`;

const tree = treesPerTest({ 'include/linux/hrtimer.h': HRTIMER_OLD, 'include/linux/gfp.h': GFP_H });

/** upstream: gadget_alloc gains `added` before its return */
function fix(added: string, before = GADGET_C) {
  return upstream(DRV, before, edit(before, '\tg->stats = NULL;\n\treturn 0;', `\tg->stats = NULL;\n${added}\treturn 0;`), 'static int gadget_alloc(struct gadget *g, unsigned int n)');
}

describe('api-rewrite: newer kernel APIs written in the older form the target has', () => {
  it('rewrites kzalloc_obj() with and without flags, one note per call', async () => {
    const r = await portPatch(fix('\tg->stats = kzalloc_obj(*g->stats);\n\tg->ring = kzalloc_obj(*g->ring, GFP_ATOMIC | __GFP_NOWARN);\n'), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\tg->stats = kzalloc(sizeof(*g->stats), GFP_KERNEL);\n\tg->ring = kzalloc(sizeof(*g->ring), GFP_ATOMIC | __GFP_NOWARN);\n');
    expect(r.adaptations.map((a) => a.note)).toEqual([
      '`kzalloc_obj` does not exist before v7.0: `kzalloc_obj(*g->stats)` becomes `kzalloc(sizeof(*g->stats), GFP_KERNEL)`',
      '`kzalloc_obj` does not exist before v7.0: `kzalloc_obj(*g->ring, GFP_ATOMIC | __GFP_NOWARN)` becomes `kzalloc(sizeof(*g->ring), GFP_ATOMIC | __GFP_NOWARN)`',
    ]);
    expect(r.adaptations[0]).toMatchObject({ rule: 'api-rewrite', params: { from: 'kzalloc_obj', introducedIn: 'v7.0' } });
  });

  it('rewrites an array allocation wrapped over lines, keeping the line breaks aligned with the new parenthesis', async () => {
    const r = await portPatch(fix('\tg->ids = kzalloc_objs(*g->ids,\n\t\t\t      n + 1,\n\t\t\t      GFP_KERNEL);\n'), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\tg->ids = kcalloc(n + 1,\n\t\t\t sizeof(*g->ids),\n\t\t\t GFP_KERNEL);\n');
  });

  it('rewrites a flexible-array allocation only in its `*ptr` spelling', async () => {
    const ok = await portPatch(fix('\tg->ring = kzalloc_flex(*g->ring, slots, n, GFP_KERNEL);\n'), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(ok.refusal?.reason ?? ok.outcome).toBe('adapted');
    expect(ok.files[0].content).toContain('\tg->ring = kzalloc(struct_size(g->ring, slots, n), GFP_KERNEL);\n');
    // a type as first argument would need struct_size_t, which the template does not claim: no rewrite, refused
    const byType = await portPatch(fix('\tg->ring = kzalloc_flex(struct gadget_ring, slots, n, GFP_KERNEL);\n'), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(byType.outcome).toBe('refused');
    expect(byType.refusal?.check).toBe('unknown-identifier');
    expect(byType.refusal?.reason).toContain('kzalloc_flex');
  });

  it('keeps the new API when the target has it', async () => {
    const r = await portPatch(fix('\tg->stats = kzalloc_obj(*g->stats);\n'), tree({ 'include/linux/slab.h': SLAB_NEW, [DRV]: GADGET_C }));
    expect(r.outcome).toBe('clean');
    expect(r.files[0].content).toContain('kzalloc_obj(*g->stats);');
  });

  it('does not rewrite when the target lacks what the replacement needs', async () => {
    const r = await portPatch(fix('\tg->ids = kzalloc_objs(*g->ids, n);\n'), tree({ 'include/linux/slab.h': SLAB_OLD.replace(/.*kcalloc.*\n/, ''), [DRV]: GADGET_C }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('unknown-identifier');
  });

  it('splits hrtimer_setup() into hrtimer_init() and the callback, only as a whole statement', async () => {
    const stmt = await portPatch(fix('\thrtimer_setup(&g->poll, gadget_poll, CLOCK_MONOTONIC, HRTIMER_MODE_REL);\n'), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(stmt.outcome).toBe('adapted');
    expect(stmt.files[0].content).toContain('\thrtimer_init(&g->poll, CLOCK_MONOTONIC, HRTIMER_MODE_REL);\n\tg->poll.function = gadget_poll;\n\treturn 0;');
    expect(stmt.applied[0].hunks[0].lines).toContainEqual({ op: '+', text: '\tg->poll.function = gadget_poll;' });
    const inExpr = await portPatch(fix('\tif (hrtimer_setup(&g->poll, gadget_poll, CLOCK_MONOTONIC, HRTIMER_MODE_REL))\n\t\treturn -EINVAL;\n'), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(inExpr.outcome).toBe('refused');
  });

  it('reads and writes inode times through the members the older struct inode has', async () => {
    const fsH = 'struct timespec64 { long tv_sec; long tv_nsec; };\nstruct inode { struct timespec64 i_atime; struct timespec64 i_mtime; };\n';
    const before = edit(GADGET_C, 'struct gadget {\n', 'struct gadget {\n\tstruct inode vfs;\n\tstruct timespec64 seen;\n\tlong sec;\n');
    const added = '\tg->seen = inode_get_mtime(&g->vfs);\n\tg->sec = inode_get_atime_sec(&g->vfs);\n\tinode_set_mtime_to_ts(&g->vfs, g->seen);\n';
    const r = await portPatch(fix(added, before), tree({ 'include/linux/slab.h': SLAB_OLD, 'include/linux/fs.h': fsH, [DRV]: before }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\tg->seen = g->vfs.i_mtime;\n\tg->sec = g->vfs.i_atime.tv_sec;\n\tg->vfs.i_mtime = g->seen;\n');
    expect(r.adaptations.map((a) => a.params.from)).toEqual(['inode_get_mtime', 'inode_set_mtime_to_ts', 'inode_get_atime_sec']);
  });

  it('applies a patch that brings the API itself as written', async () => {
    const slabH = 'include/linux/slab.h';
    const withApi = SLAB_OLD.replace('#endif', '#define kzalloc_obj(P, ...) kzalloc(sizeof(P), GFP_KERNEL)\n#endif');
    const patch = [...upstream(slabH, SLAB_OLD, withApi), ...fix('\tg->stats = kzalloc_obj(*g->stats);\n')];
    const r = await portPatch(patch, tree({ [slabH]: SLAB_OLD, [DRV]: GADGET_C }));
    expect(r.outcome).toBe('clean');
    expect(r.files.find((f) => f.path === slabH)?.content).toBe(withApi);
    expect(r.files.find((f) => f.path === DRV)?.content).toContain('\tg->stats = kzalloc_obj(*g->stats);');
  });

  it('never splits a statement that is the body of an unbraced loop or a macro line', async () => {
    const loop = '\tfor (n = 0; n < 2; n++)\n\t\thrtimer_setup(&g->poll, gadget_poll, CLOCK_MONOTONIC, HRTIMER_MODE_REL);\n';
    const r = await portPatch(fix(loop), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.reason).toContain('hrtimer_setup');
    const forms = [parseTemplate('hrtimer_setup(T, F, C, M);', 'hrtimer_init(T, C, M);\n(T)->function = F;')];
    expect(rewriteCalls('\thrtimer_setup(&d->t, fn, C, M);\t\\', forms, '#define GADGET_INIT(d)\t\\').changes).toEqual([]);
    expect(rewriteCalls('\thrtimer_setup(&d->t, fn, C, M);', forms, '\tif (x)').changes).toEqual([]);
    expect(rewriteCalls('\thrtimer_setup(&d->t, fn, C, M);', forms, '\tif (x) {').changes).toHaveLength(1);
  });

  it('leaves a call alone when an argument carries a comment the new order would misplace', () => {
    const objs = [parseTemplate('kmalloc_objs(P, COUNT)', 'kmalloc_array(COUNT, sizeof(P), GFP_KERNEL)')];
    expect(rewriteCalls('\tp = kmalloc_objs(*p, n // entries\n\t\t);', objs).changes).toEqual([]);
    expect(rewriteCalls('\tp = kmalloc_objs(*p, n /* entries */);', objs).changes).toEqual([]);
    expect(rewriteCalls('\tp = kmalloc_objs(*p, strlen("a,b"));', objs).text).toBe('\tp = kmalloc_array(strlen("a,b"), sizeof(*p), GFP_KERNEL);');
  });

  it('the interdiff finds the rewritten call where it is code, not in a comment above it', async () => {
    const r = await portPatch(fix('\t/* kzalloc_obj(*g->stats) zeroes it */\n\tg->stats = kzalloc_obj(*g->stats);\n'), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\t/* kzalloc_obj(*g->stats) zeroes it */\n\tg->stats = kzalloc(sizeof(*g->stats), GFP_KERNEL);\n');
  });

  it('gives strscpy() its size argument where the branch declares the 3-argument form only', async () => {
    const before = edit(edit(GADGET_C, '#include <linux/slab.h>\n', '#include <linux/slab.h>\n#include <linux/string.h>\n'), 'struct gadget {\n', 'struct gadget {\n\tchar name[16];\n');
    const added = '\tstrscpy(g->name, "gadget");\n\tstrscpy(g->name, "gadget", 8);\n';
    const oldString = 'typedef long ssize_t;\nssize_t strscpy(char *, const char *, size_t);\n';
    const r = await portPatch(fix(added, before), tree({ 'include/linux/slab.h': SLAB_OLD, 'include/linux/string.h': oldString, [DRV]: before }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('\tstrscpy(g->name, "gadget", sizeof(g->name));\n\tstrscpy(g->name, "gadget", 8);\n');
    expect(r.adaptations.map((a) => a.note)).toEqual(['`strscpy` takes 3 arguments on this branch: `strscpy(g->name, "gadget")` becomes `strscpy(g->name, "gadget", sizeof(g->name))`']);
    // a branch whose strscpy sizes the array itself keeps upstream's call
    const newString = '#define strscpy(dst, src, ...) sized_strscpy(dst, src, sizeof(dst))\nlong sized_strscpy(char *, const char *, unsigned long);\n';
    const kept = await portPatch(fix(added, before), tree({ 'include/linux/slab.h': SLAB_OLD, 'include/linux/string.h': newString, [DRV]: before }));
    expect(kept.outcome).toBe('clean');
  });

  it('drops a __counted_by annotation the target does not know', async () => {
    const before = GADGET_C;
    const after = edit(before, '\tstruct gadget_slot slots[];', '\tstruct gadget_slot slots[] __counted_by(len);');
    const r = await portPatch(upstream(DRV, before, after), tree({ 'include/linux/slab.h': SLAB_OLD, [DRV]: GADGET_C }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toBe(GADGET_C);
    expect(r.adaptations[0].note).toBe('`__counted_by` does not exist before v6.6: `__counted_by(len)` becomes ``');
  });

  it('includes a moved header by its old path when only that exists on the target', async () => {
    const after = edit(GADGET_C, '#include <linux/hrtimer.h>\n', '#include <linux/hrtimer.h>\n#include <linux/unaligned.h>\n');
    const oldTree = tree({ 'include/linux/slab.h': SLAB_OLD, 'include/asm-generic/unaligned.h': '/* get_unaligned */\n', [DRV]: GADGET_C });
    const r = await portPatch(upstream(DRV, GADGET_C, after), oldTree);
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain('#include <linux/hrtimer.h>\n#include <asm/unaligned.h>\n');
    const newTree = tree({ 'include/linux/slab.h': SLAB_OLD, 'include/linux/unaligned.h': '/* get_unaligned */\n', [DRV]: GADGET_C });
    expect((await portPatch(upstream(DRV, GADGET_C, after), newTree)).outcome).toBe('clean');
  });
});

describe('call templates', () => {
  const t = parseTemplate;
  it('never rewrites inside comments or strings, and leaves calls no form fits', () => {
    const forms = [t('kzalloc_obj(P)', 'kzalloc(sizeof(P), GFP_KERNEL)')];
    const r = rewriteCalls('\t/* kzalloc_obj(x) */ pr_info("kzalloc_obj(y)"); a = kzalloc_obj(*a, GFP_NOIO); b = kzalloc_obj(*b);', forms);
    expect(r.text).toBe('\t/* kzalloc_obj(x) */ pr_info("kzalloc_obj(y)"); a = kzalloc_obj(*a, GFP_NOIO); b = kzalloc(sizeof(*b), GFP_KERNEL);');
    expect(r.changes).toEqual([{ call: 'kzalloc_obj(*b)', replacement: 'kzalloc(sizeof(*b), GFP_KERNEL)', exactFrom: 'kzalloc_obj(*b)', exactTo: 'kzalloc(sizeof(*b), GFP_KERNEL)' }]);
  });

  it('parenthesizes an argument only where it needs it', () => {
    const clear = [t('vm_flags_clear(VMA, FLAGS);', '(VMA)->vm_flags &= ~(FLAGS);')];
    expect(rewriteCalls('\tvm_flags_clear(vma, VM_MAYWRITE);', clear).text).toBe('\tvma->vm_flags &= ~VM_MAYWRITE;');
    expect(rewriteCalls('\tvm_flags_clear(vmas[i], VM_IO | VM_PFNMAP);', clear).text).toBe('\tvmas[i]->vm_flags &= ~(VM_IO | VM_PFNMAP);');
    expect(rewriteCalls('\tvm_flags_clear(&d->vma, VM_IO);', clear).text).toBe('\td->vma.vm_flags &= ~VM_IO;');
    expect(rewriteCalls('\tvm_flags_clear(a ? b : c, VM_IO);', clear).text).toBe('\t(a ? b : c)->vm_flags &= ~VM_IO;');
  });

  it('lays the new call out in kernel style: paren-aligned continuations, wrapped at 80 columns when it fit before', () => {
    const objs = [t('kzalloc_objs(P, COUNT, GFP)', 'kcalloc(COUNT, sizeof(P), GFP)')];
    // continuation lines aligned with the old open parenthesis follow the new one
    expect(rewriteCalls('\t\tq->slots = kzalloc_objs(*q->slots,\n\t\t\t\t\tq->nr_slots,\n\t\t\t\t\tGFP_NOIO);', objs).text).toBe(
      '\t\tq->slots = kcalloc(q->nr_slots,\n\t\t\t\t   sizeof(*q->slots),\n\t\t\t\t   GFP_NOIO);',
    );
    // a continuation indented some other way is the author's choice and is kept
    expect(rewriteCalls('\tq = kzalloc_objs(*q,\n\t\tn, GFP_NOIO);', objs).text).toBe('\tq = kcalloc(n,\n\t\tsizeof(*q), GFP_NOIO);');
    const flex = [t('kzalloc_flex(*PTR, FAM, COUNT, GFP)', 'kzalloc(struct_size(PTR, FAM, COUNT), GFP)')];
    expect(rewriteCalls('\tring = kzalloc_flex(*ring, entries, nr_ents, GFP_KERNEL | __GFP_ZERO);', flex).text).toBe(
      '\tring = kzalloc(struct_size(ring, entries, nr_ents),\n\t\t       GFP_KERNEL | __GFP_ZERO);',
    );
    // a line already past 80 columns was the author's choice: kept on one line
    expect(rewriteCalls('\tring = kzalloc_flex(*ring, entries, nr_entries, GFP_KERNEL | __GFP_ZERO);', flex).text).toBe('\tring = kzalloc(struct_size(ring, entries, nr_entries), GFP_KERNEL | __GFP_ZERO);');
    // short enough: one line
    expect(rewriteCalls('\tr = kzalloc_flex(*r, e, n, GFP_KERNEL);', flex).text).toBe('\tr = kzalloc(struct_size(r, e, n), GFP_KERNEL);');
  });

  it('wraps only a call that ends its line, and takes a removed annotation\'s line break along', () => {
    const obj = [t('kzalloc_obj(P)', 'kzalloc(sizeof(P), GFP_KERNEL)')];
    const two = '\tif (!kzalloc_obj(*alpha) || !kzalloc_obj(*beta_with_a_rather_long_name))';
    expect(rewriteCalls(two, obj).text).toBe('\tif (!kzalloc(sizeof(*alpha), GFP_KERNEL) || !kzalloc(sizeof(*beta_with_a_rather_long_name), GFP_KERNEL))');
    expect(rewriteCalls(two, obj).changes.map((c) => c.call)).toEqual(['kzalloc_obj(*alpha)', 'kzalloc_obj(*beta_with_a_rather_long_name)']);
    const counted = [t('__counted_by(M)', '')];
    expect(rewriteCalls('\tstruct gadget_slot slots[]\n\t\t__counted_by(len);', counted).text).toBe('\tstruct gadget_slot slots[];');
  });

  it('rejects templates that are not calls of placeholders', () => {
    expect(() => t('kzalloc_obj(p)', 'x')).toThrow(/placeholder/);
    expect(() => t('kzalloc_obj', 'x')).toThrow(/not a call/);
    expect(() => t('f(A, A)', 'x')).toThrow(/twice/);
    expect(() => t('f(A)', 'g(A);\nh(A);')).toThrow(/whole statement/);
  });

  it('a rule file whose form calls another name than its entry is a configuration error', () => {
    const bad = `name: api-x\ntype: api-rewrite\ndescription: d\nnote: n\nprecondition: { treeLacksNewHasRequired: true }\ntransform: { applyTo: added-lines }\ncalls:\n  - new: foo_new\n    introducedIn: v6.9\n    source: s\n    forms:\n      - { from: "bar_new(A)", to: "bar(A)" }\n`;
    expect(() => parseRuleFile(bad, 'api-x.yml')).toThrow(StablebotError);
    expect(() => parseRuleFile(bad, 'api-x.yml')).toThrow(/every form must call/);
    expect(() => parseRuleFile(bad.replace('bar_new(A)', 'foo_new(a)'), 'api-x.yml')).toThrow(/placeholder/);
    expect(parseRuleFile(bad.replace('bar_new(A)', 'foo_new(A)'), 'api-x.yml')[0]).toMatchObject({ type: 'api-rewrite', headers: [] });
  });
});

describe('C call scanning (c-syntax findCalls, maskNonCode)', () => {
  it('counts nested calls of the same name, and never reads into an unterminated literal', async () => {
    const { findCalls, maskNonCode } = await import('../../app/apply/c-syntax.ts');
    const { arities } = await import('../../app/apply/checks.ts');
    expect(arities('x = f(a, f(b));', 'f')).toEqual([2, 1]);
    expect(findCalls('f(a, f(b))', 'f').map((c) => c.args)).toEqual([['a', 'f(b)']]);
    expect(findCalls('f(a, "x)', 'f')).toEqual([]);
    expect(maskNonCode('g("a,\\\nb", \'(\') /* ) */')).toBe('g("   \n ", \' \')        ');
  });
});
