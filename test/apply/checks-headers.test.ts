/**
 * Checks that read the headers a file includes: a call's argument count against the prototype or macro there
 * (call-arity), and each link of a member chain against the struct definitions there (struct-member). A file
 * rarely declares the API it calls, so without the headers a backport that calls a function with another
 * branch's signature, or reaches a member through the wrong struct, is taken as fine. Each check is pinned both
 * ways: refused on the mismatching shape, accepted on the legitimate one.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { edit, upstream, treesPerTest } from './fixture.ts';

/**
 * Every tree has errno and bool, and a struct elsewhere with members named like the chains' leaves: the names exist
 * in the tree, so only the struct a chain goes through can decide.
 */
const tree = treesPerTest({
  'include/uapi/asm-generic/errno-base.h': '#define EINVAL 22\n#define EBUSY 16\n',
  'include/linux/types.h': 'typedef _Bool bool;\nenum { false = 0, true = 1 };\n',
  'include/linux/elsewhere.h': 'struct elsewhere {\n\tint mode;\n\tint (*probe)(void);\n};\n',
});

/** Two driver shapes, so no identifier of one fixture decides the outcome. */
const SHAPES = [
  { dir: 'drivers/pump', file: 'ctl.c', hdr: 'linux/pump.h', obj: 'pump_dev', fn: 'pump_start', api: 'pump_unhook', sub: 'cfg', leaf: 'mode' },
  { dir: 'sound/lamp', file: 'glow.c', hdr: 'sound/lamp_core.h', obj: 'lamp_chip', fn: 'lamp_enable', api: 'lamp_release_slot', sub: 'hw_ops', leaf: 'probe' },
];
type Shape = (typeof SHAPES)[number];

/** The driver: `s.fn` starts the device and returns; it never names `s.api`. `s.sub` is mentioned elsewhere. */
function driver(s: Shape, include = `#include <${s.hdr}>`): string {
  return `// SPDX-License-Identifier: GPL-2.0
${include}

static int ${s.fn}_check(struct ${s.obj} *d)
{
	return d->${s.sub} ? 0 : -EINVAL;
}

static int ${s.fn}(struct ${s.obj} *d)
{
	int ret;

	ret = ${s.fn}_check(d);
	if (ret)
		return ret;

	d->count = 1;
	return 0;
}
`;
}

/** upstream's hunk: on a late failure, undo with `call` */
function undoWith(s: Shape, base: string, call: string) {
  const after = edit(base, '\td->count = 1;\n', `\td->count = 1;\n\tif (d->count > d->limit) {\n\t\t${call};\n\t\treturn -EBUSY;\n\t}\n`);
  return upstream(`${s.dir}/${s.file}`, base, after, `static int ${s.fn}(struct ${s.obj} *d)`);
}

function header(s: Shape, decl: string): string {
  return `/* SPDX-License-Identifier: GPL-2.0 */\n#ifndef _${s.obj.toUpperCase()}_H\n#define _${s.obj.toUpperCase()}_H\n\nstruct ${s.obj}_cfg {\n\tint ${s.leaf}_x;\n};\n\nstruct ${s.obj} {\n\tstruct ${s.obj}_cfg *${s.sub};\n\tint count;\n\tint limit;\n};\n\n${decl}\n\n#endif\n`;
}

function files(s: Shape, decl: string, text = driver(s)) {
  return { [`${s.dir}/${s.file}`]: text, [`include/${s.hdr}`]: header(s, decl) };
}

describe('call-arity: the prototype in an included header', () => {
  for (const s of SHAPES) {
    const proto = `int ${s.api}(struct ${s.obj} *d,\n\t\tunsigned long addr);`;

    it(`refuses a call of ${s.api} with more arguments than the header's prototype`, async () => {
      const r = await portPatch(undoWith(s, driver(s), `${s.api}(d, 0, true)`), tree(files(s, proto)));
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.check).toBe('call-arity');
      expect(r.refusal?.reason).toContain(`\`${s.api}\` with 3 argument(s)`);
      expect(r.refusal?.reason).toContain(`include/${s.hdr}`);
    });

    it(`accepts a call of ${s.api} matching the header's prototype`, async () => {
      const r = await portPatch(undoWith(s, driver(s), `${s.api}(d, 0)`), tree(files(s, proto)));
      expect(r.outcome).toBe('clean');
    });

    it(`counts a function-like macro ${s.api} as a signature`, async () => {
      const macro = `#define ${s.api}(d, addr) __${s.api}(d, addr, 0)`;
      const refused = await portPatch(undoWith(s, driver(s), `${s.api}(d, 0, true)`), tree(files(s, macro)));
      expect(refused.refusal?.check).toBe('call-arity');
      const ok = await portPatch(undoWith(s, driver(s), `${s.api}(d, 0)`), tree(files(s, macro)));
      expect(ok.outcome).toBe('clean');
    });

    it(`never refuses a variadic ${s.api} (macro or function)`, async () => {
      for (const decl of [`#define ${s.api}(d, ...) __${s.api}(d, ##__VA_ARGS__)`, `int ${s.api}(struct ${s.obj} *d, ...);`]) {
        const r = await portPatch(undoWith(s, driver(s), `${s.api}(d, 0, true)`), tree(files(s, decl)));
        expect(r.outcome).toBe('clean');
      }
    });

    it(`leaves ${s.api} alone when the header's declarations disagree (config variants) or alias another name`, async () => {
      const variants = `#ifdef CONFIG_${s.obj.toUpperCase()}\n${proto}\n#else\nstatic inline int ${s.api}(struct ${s.obj} *d, unsigned long addr, bool wait) { return 0; }\n#endif`;
      expect((await portPatch(undoWith(s, driver(s), `${s.api}(d, 0, true)`), tree(files(s, variants)))).outcome).toBe('clean');
      const alias = `#define ${s.api} ${s.api}_v2\nint ${s.api}_v2(struct ${s.obj} *d);`;
      expect((await portPatch(undoWith(s, driver(s), `${s.api}(d, 0, true)`), tree(files(s, alias)))).outcome).toBe('clean');
    });
  }

  it('a prototype upstream shared with the target before the change is the change\'s to alter, on a heading like upstream\'s', async () => {
    for (const s of SHAPES) {
      const two = `int ${s.api}(struct ${s.obj} *d,\n\t\tunsigned long addr);`;
      const patch = undoWith(s, driver(s), `${s.api}(d, 0, true)`);
      // upstream's header had the target's two arguments: the change adds the third in a header hunk not in view
      const same = await portPatch(patch, tree(files(s, two)), { upstreamTree: tree(files(s, two)) });
      expect(same.outcome).toBe('clean');
      // the target's heading has no line in common with upstream's: that header hunk would not apply
      const unlike = `long ${s.api}(struct ${s.obj}_old *d, u8 addr);`;
      const r = await portPatch(patch, tree(files(s, unlike)), { upstreamTree: tree(files(s, two)) });
      expect(r.refusal?.check).toBe('call-arity');
      expect(r.refusal?.reason).toContain('heading unlike upstream');
      // upstream's header already took three: the target lacks a prerequisite
      const three = `int ${s.api}(struct ${s.obj} *d, unsigned long addr, bool wait);`;
      expect((await portPatch(patch, tree(files(s, two)), { upstreamTree: tree(files(s, three)) })).refusal?.check).toBe('call-arity');
    }
  });

  it('follows local headers the file includes, and ignores headers it does not include', async () => {
    const s = SHAPES[0];
    const local = `#include "${s.obj}_priv.h"`;
    const text = driver(s, local);
    const body = `struct ${s.obj} {\n\tvoid *${s.sub};\n\tint count;\n\tint limit;\n};\n`;
    const priv = `#include "${s.obj}_api.h"\n${body}`;
    const api = `void ${s.api}(struct ${s.obj} *d);\n`;
    const viaLocal = await portPatch(undoWith(s, text, `${s.api}(d, 0)`), tree({ [`${s.dir}/${s.file}`]: text, [`${s.dir}/${s.obj}_priv.h`]: priv, [`${s.dir}/${s.obj}_api.h`]: api }));
    expect(viaLocal.refusal?.check).toBe('call-arity');
    // the same prototype in a header nobody includes is no evidence about this file
    const stray = await portPatch(undoWith(s, text, `${s.api}(d, 0)`), tree({ [`${s.dir}/${s.file}`]: text, [`${s.dir}/${s.obj}_priv.h`]: body, [`include/other/${s.obj}_api.h`]: api }));
    expect(stray.outcome).toBe('clean');
  });
});

/** upstream's hunk: a chain through `s.sub` to `s.leaf` */
function useChain(s: Shape, base: string) {
  const after = edit(base, '\td->count = 1;\n', `\td->count = 1;\n\tif (d->${s.sub}->${s.leaf})\n\t\td->limit = 2;\n`);
  return upstream(`${s.dir}/${s.file}`, base, after, `static int ${s.fn}(struct ${s.obj} *d)`);
}

describe('struct-member: every link of a chain, through the included headers', () => {
  for (const s of SHAPES) {
    it(`refuses d->${s.sub}->${s.leaf} when ${s.sub}'s struct lacks ${s.leaf}, though the file mentions ${s.sub}`, async () => {
      const r = await portPatch(useChain(s, driver(s)), tree(files(s, '')));
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.check).toBe('struct-member');
      expect(r.refusal?.reason).toContain(`d->${s.sub}->${s.leaf}`);
      expect(r.refusal?.reason).toContain(`struct ${s.obj}_cfg`);
    });

    it(`accepts d->${s.sub}->${s.leaf} when ${s.sub}'s struct has it`, async () => {
      const fs = files(s, '');
      fs[`include/${s.hdr}`] = edit(fs[`include/${s.hdr}`], `\tint ${s.leaf}_x;\n`, `\tint ${s.leaf}_x;\n\tint ${s.leaf};\n`);
      const r = await portPatch(useChain(s, driver(s)), tree(fs));
      expect(r.outcome).toBe('clean');
    });

    it(`accepts the chain when upstream's struct lacked ${s.leaf} too (the change adds it out of view)`, async () => {
      const r = await portPatch(useChain(s, driver(s)), tree(files(s, '')), { upstreamTree: tree(files(s, '')) });
      expect(r.outcome).toBe('clean');
    });
  }
});
