/**
 * removed-declaration-in-use: upstream drops a local's declaration because its function stopped using it; a target
 * whose function still uses the local must not get the removal.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { WIDGET_H, edit, upstream, treesPerTest } from './fixture.ts';

const FILE = 'drivers/widget/queue.c';
const HDR = 'include/linux/widget.h';
const tree = treesPerTest({ [HDR]: WIDGET_H });

/** a queue function with a scratch local `name`, used (or not) after the declarations */
function queueFn(name: string, use: boolean, extra = ''): string {
  return `// SPDX-License-Identifier: GPL-2.0
#include <linux/widget.h>

static int widget_queue(struct widget_dev *wd, unsigned int len)
{
	unsigned int slot, ${name};
	int err;
	bool fresh = true;

	slot = len & 0xff;
${use ? `\t${name} = slot >> 2;\n\twd->count += ${name};\n` : ''}${extra}	err = widget_sync(wd->dev, slot, 0);
	if (err && fresh)
		return err;
	return 0;
}
`;
}

/** upstream: `name` is gone from the declaration (its function no longer uses it) */
function dropLocal(name: string) {
  const before = queueFn(name, false);
  return upstream(FILE, before, edit(before, `\tunsigned int slot, ${name};\n`, '\tunsigned int slot;\n'));
}

describe('removed-declaration-in-use', () => {
  for (const name of ['hash', 'tail_idx']) {
    it(`refuses to drop \`${name}\` where the target's function still uses it, and applies where it does not`, async () => {
      const patch = dropLocal(name);
      const r = await portPatch(patch, tree({ [FILE]: queueFn(name, true) }));
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.check).toBe('removed-declaration-in-use');
      expect(r.refusal?.reason).toContain(`\`${name}\``);
      // the same removal on a target that never uses the local is upstream's change, applied as is
      const ok = await portPatch(patch, tree({ [FILE]: queueFn(name, false) }));
      expect(ok.outcome).toBe('clean');
      expect(ok.files[0].content).toContain('\tunsigned int slot;\n');
    });
  }

  it('a member of the same spelling, or a redeclaration in an inner block, is not a use of the dropped local', async () => {
    const patch = dropLocal('hash');
    const member = queueFn('hash', false, '\twd->state = wd->count;\n\tif (len) {\n\t\tunsigned int hash = len;\n\n\t\twd->count = hash;\n\t}\n');
    expect((await portPatch(patch, tree({ [FILE]: member }))).outcome).not.toBe('refused');
  });

  it('with upstream\'s tree: upstream\'s own function still used it outside the hunk, so a hunk not in view removes those uses', async () => {
    const patch = dropLocal('hash');
    const target = tree({ [FILE]: queueFn('hash', true) });
    // upstream's parent used `hash` further down too: the change's other hunks take those uses away
    const upstreamUsed = tree({ [FILE]: queueFn('hash', true) });
    expect((await portPatch(patch, target, { upstreamTree: upstreamUsed })).outcome).toBe('clean');
    // upstream's parent never used it: the target's uses are its own, and the removal would break them
    const upstreamUnused = tree({ [FILE]: queueFn('hash', false) });
    expect((await portPatch(patch, target, { upstreamTree: upstreamUnused })).refusal?.check).toBe('removed-declaration-in-use');
  });

  it('the branch of a conditional expression is a use, not a label', async () => {
    const patch = dropLocal('spare');
    const target = queueFn('spare', false, '\twd->count = len ? spare : slot;\n');
    expect((await portPatch(patch, tree({ [FILE]: target }))).refusal?.check).toBe('removed-declaration-in-use');
  });

  it('a removed label that a goto still reaches is refused', async () => {
    const base = `// SPDX-License-Identifier: GPL-2.0
#include <linux/widget.h>

static int widget_attach(struct widget_dev *wd)
{
	int err;

	err = widget_reset(wd);
	if (err)
		goto out_put;
	return 0;
out_put:
	wd->count = 0;
	return err;
}
`;
    const after = edit(edit(base, '\t\tgoto out_put;\n', '\t\treturn err;\n'), 'out_put:\n\twd->count = 0;\n\treturn err;\n', '');
    const patch = upstream(FILE, base, after);
    // upstream drops the label together with its only goto: fine on the same code
    expect((await portPatch(patch, tree({ [FILE]: base }))).outcome).toBe('clean');
    // the target has a second goto to it, in a line upstream never had
    const target = edit(base, '\tint err;\n\n', '\tint err;\n\n\tif (!wd->dev)\n\t\tgoto out_put;\n');
    const r = await portPatch(patch, tree({ [FILE]: target }));
    expect(r.refusal?.check).toBe('removed-declaration-in-use');
    expect(r.refusal?.reason).toContain('out_put');
  });
});
