/**
 * Checks that weigh the change's unseen part against the target tree. A case is often one hunk of a change whose
 * other hunks declare what this one uses; upstream's tree before the change then lacks the name too, and the
 * checks let it through as the change's own. That is only safe when the unseen hunk can port as upstream wrote
 * it: when the place it edits (the enclosing function, the called function's declared heading) is upstream's on
 * the target. These tests pin both sides: the same hunk is accepted where the target matches upstream and refused,
 * naming the check, where it does not.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { edit, upstream, treesPerTest } from './fixture.ts';

const tree = treesPerTest();

/** Two driver shapes, so no identifier of one fixture decides the outcome. */
const SHAPES = [
  { dir: 'drivers/sensor', file: 'poll.c', obj: 'sensor_dev', fn: 'sensor_poll', local: 'chan', member: 'chan', lock: 'lock', helper: 'sensor_read_chan' },
  { dir: 'drivers/relay', file: 'kick.c', obj: 'relay_port', fn: 'relay_kick', local: 'link', member: 'link', lock: 'state_lock', helper: 'relay_link_send' },
];
type Shape = (typeof SHAPES)[number];

/**
 * A driver file where `local` is a local of another function, and `s.fn` has some lines before the spot the hunk
 * edits. `extra` goes at the top of `s.fn`, well above the hunk's context: a target whose function differs there.
 */
function driver(s: Shape, extra = ''): string {
  return `// SPDX-License-Identifier: GPL-2.0
#include <linux/${s.obj}.h>

static int ${s.fn}_other(struct ${s.obj} *d)
{
	struct ${s.member}_state *${s.local} = d->${s.member};

	return ${s.local} ? 1 : 0;
}

static void ${s.fn}(struct ${s.obj} *d)
{
	unsigned long flags;
${extra}
	if (!d)
		return;

	spin_lock_irqsave(&d->${s.lock}, flags);
	d->count++;
	spin_unlock_irqrestore(&d->${s.lock}, flags);

	d->done = 1;
	d->count = 0;
}
`;
}

/** upstream's hunk: `local` assigned and used after the locked section (its declaration is in a hunk not shown) */
function useLocal(s: Shape, base: string) {
  const after = edit(base, '\td->done = 1;\n', `\td->done = 1;\n\t${s.local} = d->${s.member};\n\tif (${s.local})\n\t\td->count = 2;\n`);
  return upstream(`${s.dir}/${s.file}`, base, after, `static void ${s.fn}(struct ${s.obj} *d)`);
}

describe('undeclared-local: a local the change declares out of view', () => {
  for (const s of SHAPES) {
    it(`accepted when ${s.fn} on the target is upstream's up to the hunk (${s.local})`, async () => {
      const text = driver(s);
      const r = await portPatch(useLocal(s, text), tree({ [`${s.dir}/${s.file}`]: text }), { upstreamTree: tree({ [`${s.dir}/${s.file}`]: text }) });
      expect(r.outcome).toBe('clean');
    });

    it(`refused when ${s.fn} on the target differs from upstream's before the hunk (${s.local})`, async () => {
      const up = driver(s);
      const target = driver(s, `\tint retries = 3;\n`);
      const r = await portPatch(useLocal(s, up), tree({ [`${s.dir}/${s.file}`]: target }), { upstreamTree: tree({ [`${s.dir}/${s.file}`]: up }) });
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.check).toBe('undeclared-local');
      expect(r.refusal?.reason).toContain(`\`${s.local}\``);
      expect(r.refusal?.reason).toContain('differs from upstream');
    });
  }

  it('a difference in comments or blank lines alone is not a different function', async () => {
    const s = SHAPES[0];
    const up = driver(s);
    const target = driver(s, '\t/* the target documents its flags */\n\n');
    const r = await portPatch(useLocal(s, up), tree({ [`${s.dir}/${s.file}`]: target }), { upstreamTree: tree({ [`${s.dir}/${s.file}`]: up }) });
    expect(r.outcome).toBe('clean');
  });
});

/**
 * A helper defined in a sibling .c and declared in the directory's own header, called twice by the file with two
 * arguments; upstream's change (out of view) adds a third parameter, and this hunk passes it.
 */
function helperFiles(s: Shape, proto: string) {
  const c = `// SPDX-License-Identifier: GPL-2.0
#include "${s.obj}.h"

static void ${s.fn}_start(struct ${s.obj} *d)
{
	${s.helper}(d, 1);
}

static void ${s.fn}_stop(struct ${s.obj} *d)
{
	${s.helper}(d, 0);
	d->done = 1;
	d->count = 0;
}
`;
  return { c, files: { [`${s.dir}/${s.file}`]: c, [`${s.dir}/${s.obj}.h`]: `#pragma once\n${proto}\n` } };
}

function passThird(s: Shape, base: string) {
  return upstream(`${s.dir}/${s.file}`, base, edit(base, `\t${s.helper}(d, 0);\n`, `\t${s.helper}(d, 0, true);\n`), `static void ${s.fn}_stop(struct ${s.obj} *d)`);
}

describe('call-arity: a signature change out of view', () => {
  for (const s of SHAPES) {
    const upProto = `int ${s.helper}(struct ${s.obj} *d,\n\t\tint level);`;

    it(`accepted when the target declares ${s.helper} as upstream did before the change`, async () => {
      const up = helperFiles(s, upProto);
      const target = helperFiles(s, upProto);
      const r = await portPatch(passThird(s, up.c), tree(target.files), { upstreamTree: tree(up.files) });
      expect(r.outcome).toBe('clean');
    });

    it(`accepted when the target's heading shares a line with upstream's (${s.helper})`, async () => {
      const up = helperFiles(s, upProto);
      // the first line is upstream's; only the second differs, so an edit of the heading still finds its place
      const target = helperFiles(s, `int ${s.helper}(struct ${s.obj} *d,\n\t\tunsigned int level);`);
      const r = await portPatch(passThird(s, up.c), tree(target.files), { upstreamTree: tree(up.files) });
      expect(r.outcome).toBe('clean');
    });

    it(`refused when the target declares ${s.helper} with a heading unlike upstream's`, async () => {
      const up = helperFiles(s, upProto);
      const target = helperFiles(s, `long ${s.helper}(struct ${s.obj}_old *d,\n\t\tu8 level);`);
      const r = await portPatch(passThird(s, up.c), tree(target.files), { upstreamTree: tree(up.files) });
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.check).toBe('call-arity');
      expect(r.refusal?.reason).toContain(`\`${s.helper}\` with 3 argument(s)`);
    });
  }

  it('a definition in the file itself is compared the same way', async () => {
    const s = SHAPES[1];
    const def = (type: string) => `static int ${s.helper}(${type} *d, int level)\n{\n\treturn level;\n}\n\n`;
    const upText = edit(helperFiles(s, '').c, `static void ${s.fn}_start`, `${def(`struct ${s.obj}`)}static void ${s.fn}_start`);
    const tgtSame = upText;
    const tgtOther = edit(helperFiles(s, '').c, `static void ${s.fn}_start`, `${def(`struct ${s.obj}_v1`)}static void ${s.fn}_start`);
    const patch = passThird(s, upText);
    const path = `${s.dir}/${s.file}`;
    expect((await portPatch(patch, tree({ [path]: tgtSame }), { upstreamTree: tree({ [path]: upText }) })).outcome).toBe('clean');
    const r = await portPatch(patch, tree({ [path]: tgtOther }), { upstreamTree: tree({ [path]: upText }) });
    expect(r.refusal?.check).toBe('call-arity');
  });

  it('a call whose count matches the target fires nothing, whatever the headings', async () => {
    const s = SHAPES[0];
    const up = helperFiles(s, `int ${s.helper}(struct ${s.obj} *d, int level);`);
    const target = helperFiles(s, `long ${s.helper}(void *d, long level);`);
    const patch = upstream(`${s.dir}/${s.file}`, up.c, edit(up.c, `\t${s.helper}(d, 0);\n`, `\t${s.helper}(d, 2);\n`));
    expect((await portPatch(patch, tree(target.files), { upstreamTree: tree(up.files) })).outcome).toBe('clean');
  });
});
