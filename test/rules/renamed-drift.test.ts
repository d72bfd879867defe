/**
 * aligned-context with proven renames: the hunk's context has a name the target spells another way (proven by
 * aligning upstream's file with the target's, app/rules/align.ts) AND a line that drifted (a local declaration the
 * target never had). Neither renamed-context (only renames) nor aligned-context without renames (a removed line
 * must match) places it alone. Fixtures are small driver-shaped files written for these tests.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { edit, upstream, treesPerTest } from '../apply/fixture.ts';

const FILE = 'drivers/relay/hub.c';
const HDR = 'include/linux/relay_hub.h';

const tree = treesPerTest();

function header(put: string, extra = ''): string {
  return `/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_RELAY_HUB_H
#define _LINUX_RELAY_HUB_H

struct hub_link;
struct relay_hub {
	struct hub_link *link;
	spinlock_t lock;
	unsigned int depth;
	bool online;
};

void hub_drain(struct relay_hub *hub);
void ${put}(struct hub_link *link);
${extra}
#endif
`;
}

/**
 * The driver: `put` releases the hub's link in hub_detach and, when `evidence`, at two more places. `drift` adds
 * the local declaration upstream has and the target lacks; `tail` is appended code.
 */
function driver(put: string, o: { evidence: boolean; drift: boolean; tail?: string }): string {
  const more = o.evidence
    ? `
static void hub_shutdown(struct relay_hub *hub)
{
	hub_drain(hub);
	${put}(hub->link);
}

static void hub_fail(struct relay_hub *hub)
{
	hub->online = false;
	${put}(hub->link);
}
`
    : '';
  return `// SPDX-License-Identifier: GPL-2.0
#include <linux/relay_hub.h>
${more}
static int hub_detach(struct relay_hub *hub)
{
	unsigned long flags;
${o.drift ? '\tunsigned int old_depth;\n' : ''}
	spin_lock_irqsave(&hub->lock, flags);
	${put}(hub->link);
	hub->online = false;
	spin_unlock_irqrestore(&hub->lock, flags);
	return 0;
}
${o.tail ?? ''}`;
}

/** upstream's fix: the hub goes offline before its link is released (the renamed call is removed and re-added) */
function detachFix(before: string, put: string) {
  const after = edit(before, `\t${put}(hub->link);\n\thub->online = false;\n`, `\thub->online = false;\n\t${put}(hub->link);\n`);
  return upstream(FILE, before, after, 'static int hub_detach(struct relay_hub *hub)');
}

const PAIRS: [string, string][] = [
  ['hub_link_put', 'hub_link_release'],
  ['link_ref_drop', 'link_unref'],
];

describe('aligned-context with proven renames', () => {
  it.each(PAIRS)('places a hunk with drifted context and upstream `%s`, written as the target\'s `%s`', async (neu, old) => {
    const before = driver(neu, { evidence: true, drift: true });
    const up = tree({ [HDR]: header(neu), [FILE]: before });
    const target = tree({ [HDR]: header(old), [FILE]: driver(old, { evidence: true, drift: false }) });
    const r = await portPatch(detachFix(before, neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('adapted');
    const content = r.files[0].content!;
    expect(content).toContain(`\tspin_lock_irqsave(&hub->lock, flags);\n\thub->online = false;\n\t${old}(hub->link);\n\tspin_unlock_irqrestore`);
    expect(content).not.toContain(neu);
    // the declaration the target never had is not brought in
    expect(content).not.toContain('old_depth');
    expect(r.adaptations.map((a) => a.rule)).toEqual(['aligned-context', 'aligned-context']);
    expect(r.adaptations[1].params).toMatchObject({ from: neu, to: old, evidence: '3' });
    expect(r.adaptations[1].note).toBe(`\`${neu}\` is \`${old}\` on this branch (3 aligned lines in ${FILE}): use \`${old}\``);
  });

  it.each(PAIRS)('refuses without evidence: `%s` -> `%s` is seen on one aligned line only', async (neu, old) => {
    const before = driver(neu, { evidence: false, drift: true });
    const up = tree({ [HDR]: header(neu), [FILE]: before });
    const target = tree({ [HDR]: header(old), [FILE]: driver(old, { evidence: false, drift: false }) });
    const r = await portPatch(detachFix(before, neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('refused');
    expect(r.adaptations).toEqual([]);
  });

  it.each(PAIRS)('refuses upstream `%s` as the target\'s `%s` when upstream still calls that as another function', async (neu, old) => {
    // upstream calls both: `old` is not an older spelling of `neu` but a different function
    const tail = `\nstatic void hub_reset(struct relay_hub *hub)\n{\n\t${old}(hub->link);\n}\n`;
    const before = driver(neu, { evidence: true, drift: true, tail });
    const up = tree({ [HDR]: header(neu, `void ${old}(struct hub_link *link);\n`), [FILE]: before });
    const target = tree({ [HDR]: header(old), [FILE]: driver(old, { evidence: true, drift: false, tail }) });
    const r = await portPatch(detachFix(before, neu), target, { upstreamTree: up });
    expect(r.outcome).toBe('refused');
    expect(r.adaptations).toEqual([]);
  });
});
