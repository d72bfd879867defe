/**
 * aligned-rename / renamed-context: renames learned by aligning upstream's file (before the change) with the
 * target's. Fixtures are small driver-shaped files written for these tests: a helper that upstream calls by a newer
 * name than the target, at several places of the same file.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { alignFiles, renameOf } from '../../app/rules/align.ts';
import { loadDefaultRules } from '../../app/rules/load.ts';
import { edit, upstream, treesPerTest } from '../apply/fixture.ts';

const FILE = 'drivers/gadget/port.c';
const HDR = 'include/linux/gadget.h';

const tree = treesPerTest();

function header(put: string, extra = ''): string {
  return `/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_GADGET_H
#define _LINUX_GADGET_H

struct gadget_owner;
struct gadget_port {
	struct gadget_owner *owner;
	spinlock_t lock;
	unsigned int mode;
	bool active;
};

int gadget_claim(struct gadget_port *port, unsigned int mode);
bool gadget_busy(struct gadget_port *port);
void gadget_flush(struct gadget_port *port);
void ${put}(struct gadget_owner *owner);
${extra}
#endif
`;
}

/** the driver, calling the owner's release helper by `put` at three places (`puts` overrides them one by one) */
function driver(put: string, puts: string[] = [put, put, put], tail = ''): string {
  return `// SPDX-License-Identifier: GPL-2.0
#include <linux/gadget.h>

static void gadget_release(struct gadget_port *port)
{
	spin_lock(&port->lock);
	port->active = false;
	spin_unlock(&port->lock);
	${puts[0]}(port->owner);
}

static int gadget_open(struct gadget_port *port, unsigned int mode)
{
	int err;

	err = gadget_claim(port, mode);
	if (err) {
		${puts[1]}(port->owner);
		return err;
	}
	port->mode = mode;
	return 0;
}

static void gadget_close(struct gadget_port *port)
{
	gadget_flush(port);
	${puts[2]}(port->owner);
}
${tail}`;
}

/** upstream's fix in gadget_open: a busy port drops its owner reference too (no renamed name in the context) */
function busyFix(before: string, put: string) {
  const after = edit(before, '\tport->mode = mode;\n\treturn 0;', `\tport->mode = mode;\n\tif (gadget_busy(port)) {\n\t\t${put}(port->owner);\n\t\treturn -EBUSY;\n\t}\n\treturn 0;`);
  return upstream(FILE, before, after, 'static int gadget_open(struct gadget_port *port, unsigned int mode)');
}

/** upstream's fix in gadget_close: the mode is reset before the owner is dropped (the renamed call is context) */
function closeFix(before: string, put: string) {
  const after = edit(before, `\tgadget_flush(port);\n\t${put}(port->owner);`, `\tgadget_flush(port);\n\tport->mode = 0;\n\t${put}(port->owner);`);
  return upstream(FILE, before, after, 'static void gadget_close(struct gadget_port *port)');
}

const PAIRS: [string, string][] = [
  ['gadget_owner_put', 'gadget_owner_release'],
  ['port_ref_drop', 'port_unref'],
];

describe('aligned-rename (added lines use a name the target lacks)', () => {
  it.each(PAIRS)('writes upstream `%s` as the target\'s `%s`, naming the evidence', async (neu, old) => {
    const up = tree({ [HDR]: header(neu), [FILE]: driver(neu) });
    const target = tree({ [HDR]: header(old), [FILE]: driver(old) });
    const r = await portPatch(busyFix(driver(neu), neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('adapted');
    const content = r.files[0].content!;
    expect(content).toContain(`\tif (gadget_busy(port)) {\n\t\t${old}(port->owner);\n\t\treturn -EBUSY;\n\t}\n`);
    expect(content).not.toContain(neu);
    expect(r.adaptations).toHaveLength(1);
    expect(r.adaptations[0]).toMatchObject({ rule: 'aligned-rename', params: { from: neu, to: old, evidence: '3' } });
    expect(r.adaptations[0].note).toBe(`\`${neu}\` is \`${old}\` on this branch (3 aligned lines in ${FILE}): use \`${old}\``);
  });

  it('without upstream\'s tree there is no evidence: the unknown name is refused as before', async () => {
    const [neu, old] = PAIRS[0];
    const target = tree({ [HDR]: header(old), [FILE]: driver(old) });
    const r = await portPatch(busyFix(driver(neu), neu), target);
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('unknown-identifier');
  });

  it('refuses an inconsistent mapping: the target spells upstream\'s name two ways', async () => {
    const [neu, old] = PAIRS[1];
    const up = tree({ [HDR]: header(neu), [FILE]: driver(neu) });
    const target = tree({ [HDR]: header(old, 'void port_ref_put(struct gadget_owner *owner);\n'), [FILE]: driver(old, [old, 'port_ref_put', old]) });
    const r = await portPatch(busyFix(driver(neu), neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('unknown-identifier');
    expect(r.refusal?.reason).toContain(neu);
  });

  it('refuses when the target\'s name is a different function upstream still has', async () => {
    const [neu, old] = PAIRS[0];
    // upstream calls both: `old` is not an older spelling of `neu` there, but a function of its own
    const detach = `\nstatic void gadget_detach(struct gadget_port *port)\n{\n\tgadget_flush(port);\n\t${old}(port->owner);\n}\n`;
    const upText = driver(neu, undefined, detach);
    const up = tree({ [HDR]: header(neu, `void ${old}(struct gadget_owner *owner);\n`), [FILE]: upText });
    const target = tree({ [HDR]: header(old), [FILE]: driver(old, undefined, detach) });
    const r = await portPatch(busyFix(upText, neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('unknown-identifier');
    const v = renameOf(alignFiles(upText.split('\n'), driver(old, undefined, detach).split('\n')), neu, 2);
    expect(v && 'refusal' in v ? v.refusal : '').toContain('upstream uses both');
  });

  it('refuses a rename seen on one aligned line only', async () => {
    const [neu, old] = PAIRS[1];
    // two of the three calls are something else on the target: one aligned line shows neu -> old
    const target = tree({ [HDR]: header(old, 'void gadget_owner_kill(struct gadget_owner *owner);\n'), [FILE]: driver(old, [old, 'gadget_owner_kill', 'gadget_owner_kill']) });
    const up = tree({ [HDR]: header(neu, 'void gadget_owner_kill(struct gadget_owner *owner);\n'), [FILE]: driver(neu, [neu, 'gadget_owner_kill', 'gadget_owner_kill']) });
    const r = await portPatch(busyFix(driver(neu, [neu, 'gadget_owner_kill', 'gadget_owner_kill']), neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('unknown-identifier');
    const al = alignFiles(driver(neu, [neu, 'gadget_owner_kill', 'gadget_owner_kill']).split('\n'), driver(old, [old, 'gadget_owner_kill', 'gadget_owner_kill']).split('\n'));
    expect(renameOf(al, neu, 2)).toMatchObject({ refusal: expect.stringContaining('1 aligned line(s) only') });
    // with a lower bar the same alignment is accepted: the count is what refused
    expect(renameOf(al, neu, 1)).toMatchObject({ to: old });
  });

  it('refuses when upstream made the name public and the target keeps its old spelling file-local', async () => {
    const [neu, old] = PAIRS[0];
    // the target's helper is static in the file, upstream's is declared in the header: more than a rename
    const staticHelper = `\nstatic void ${old}(struct gadget_owner *owner)\n{\n\tkfree(owner);\n}\n`;
    const up = tree({ [HDR]: header(neu), [FILE]: driver(neu) });
    const target = tree({ [HDR]: header('gadget_owner_free'), [FILE]: driver(old) + staticHelper });
    const r = await portPatch(busyFix(driver(neu), neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('unknown-identifier');
    // the files alone bear the rename out: the headers are what refused it
    expect(renameOf(alignFiles(driver(neu).split('\n'), (driver(old) + staticHelper).split('\n')), neu, 2)).toMatchObject({ to: old });
  });
});

describe('renamed-context (the context differs by a rename the files bear out)', () => {
  it.each(PAIRS)('places the hunk where upstream `%s` is the target\'s `%s`', async (neu, old) => {
    const up = tree({ [HDR]: header(neu), [FILE]: driver(neu) });
    const target = tree({ [HDR]: header(old), [FILE]: driver(old) });
    const r = await portPatch(closeFix(driver(neu), neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toContain(`\tgadget_flush(port);\n\tport->mode = 0;\n\t${old}(port->owner);\n}\n`);
    expect(r.adaptations.map((a) => a.rule)).toEqual(['renamed-context']);
    expect(r.adaptations[0].params).toMatchObject({ from: neu, to: old });
  });

  it('does not place by a rename the files contradict (upstream keeps its name at another aligned line)', async () => {
    const [neu, old] = PAIRS[1];
    const up = tree({ [HDR]: header(neu, `void ${old}(struct gadget_owner *owner);\n`), [FILE]: driver(neu, [neu, neu, neu], `\nstatic void gadget_reset(struct gadget_port *port)\n{\n\t${neu}(port->owner);\n}\n`) });
    const target = tree({ [HDR]: header(old, `void ${neu}(struct gadget_owner *owner);\n`), [FILE]: driver(old, [old, old, old], `\nstatic void gadget_reset(struct gadget_port *port)\n{\n\t${neu}(port->owner);\n}\n`) });
    const before = driver(neu, [neu, neu, neu], `\nstatic void gadget_reset(struct gadget_port *port)\n{\n\t${neu}(port->owner);\n}\n`);
    const r = await portPatch(closeFix(before, neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('refused');
    expect(r.adaptations).toEqual([]);
  });

  it('is one of the default rules', () => {
    expect(loadDefaultRules().map((r) => r.name)).toEqual(expect.arrayContaining(['aligned-rename', 'renamed-context']));
  });
});

describe('alignFiles / renameOf', () => {
  it('learns renames from paired lines and counts them per target line', () => {
    const al = alignFiles(driver('usb_put_owner').split('\n'), driver('usb_release_owner').split('\n'));
    const v = renameOf(al, 'usb_put_owner', 2);
    expect(v).toMatchObject({ to: 'usb_release_owner' });
    expect(v && 'evidence' in v ? v.evidence.targetLines.length : 0).toBe(3);
    // a name both files spell the same is no rename
    expect(renameOf(al, 'gadget_flush', 1)).toBeNull();
  });

  it('reports disagreeing spellings as a refusal, not a choice', () => {
    const al = alignFiles(driver('fw_put').split('\n'), driver('fw_release', ['fw_release', 'fw_drop', 'fw_release']).split('\n'));
    const v = renameOf(al, 'fw_put', 1);
    expect(v && 'refusal' in v ? v.refusal : '').toContain('not one rename');
  });
});
