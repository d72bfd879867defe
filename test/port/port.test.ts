import { rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerPort, runPort } from '../../app/cli/port.ts';
import { CORE_C, WIDGET_H, diffText, edit, makeTree, type Fixture } from '../apply/fixture.ts';

const CORE = 'drivers/widget/core.c';
let fx: Fixture | null = null;
/** patch files live next to the tree (never inside it) and are removed with it */
const extra: string[] = [];
afterEach(() => {
  fx?.cleanup();
  for (const p of extra.splice(0)) rmSync(p, { force: true });
  fx = null;
  process.exitCode = undefined;
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

function setup(target = CORE_C) {
  fx = makeTree({ 'include/linux/widget.h': WIDGET_H, [CORE]: target });
  return fx;
}

/** the seed's shape on our fixture: upstream passes `attrs`, the target passes 0 */
function seedLikePatch(dir: string): string {
  const before = edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, attrs);');
  const after = edit(before, '\t\treturn err;\n\n\twd->count', '\t\treturn err;\n\terr = widget_sync(wd->dev, count, attrs);\n\tif (err)\n\t\treturn err;\n\n\twd->count');
  const p = join(dir, '..', `${dir.split('/').pop()}.patch`);
  writeFileSync(p, diffText(CORE, before, after));
  extra.push(p);
  return p;
}

describe('stablebot port', () => {
  it('exit 0: applies an adapted fix and reports rules and files as JSON', async () => {
    const f = setup();
    const patch = seedLikePatch(f.dir);
    const c = capture();
    expect(await runPort({ patch, tree: f.dir, json: true }, c.io)).toBe(0);
    const json = JSON.parse(c.out.join(''));
    expect(json).toMatchObject({ outcome: 'adapted', rules: ['context-substitution'], files: [CORE] });
    expect(readFileSync(join(f.dir, CORE), 'utf8')).toContain('widget_sync(wd->dev, count, 0);');
  });

  it('exit 0 through a fresh commander program, clean apply', async () => {
    const f = setup(edit(CORE_C, 'WIDGET_TO_DEVICE, 0);', 'WIDGET_TO_DEVICE, attrs);'));
    const patch = seedLikePatch(f.dir);
    const program = new Command().exitOverride();
    registerPort(program);
    const saved = process.stdout.write.bind(process.stdout);
    let out = '';
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'stablebot', 'port', '--patch', patch, '--tree', f.dir, '--json']);
    } finally {
      process.stdout.write = saved;
    }
    expect(process.exitCode).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ outcome: 'clean', rules: [], files: [CORE] });
  });

  it('exit 3: refuses, says which check fired, and leaves the tree untouched', async () => {
    // the target declares attrs in the function: substituting would be a guess
    const target = edit(CORE_C, '\tint err;\n', '\tunsigned long attrs = 0;\n\tint err;\n');
    const f = setup(target);
    const patch = seedLikePatch(f.dir);
    const c = capture();
    expect(await runPort({ patch, tree: f.dir, json: true }, c.io)).toBe(3);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ outcome: 'refused', check: 'substitution-declared' });
    expect(readFileSync(join(f.dir, CORE), 'utf8')).toBe(target);
  });

  it('--upstream-tree: a name upstream lacked before the change is the change\'s own, not a missing prerequisite', async () => {
    const f = setup();
    const after = edit(CORE_C, '\twd->count = 0;\n}', '\twd->count = 0;\n\tgizmo_quiesce(wd);\n}');
    const patch = `${f.dir}-gizmo.patch`;
    writeFileSync(patch, diffText(CORE, CORE_C, after));
    extra.push(patch);
    const c = capture();
    expect(await runPort({ patch, tree: f.dir, json: true }, c.io)).toBe(3);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ check: 'unknown-identifier' });
    const up = makeTree({ 'include/linux/widget.h': WIDGET_H, [CORE]: CORE_C });
    try {
      const c2 = capture();
      expect(await runPort({ patch, tree: f.dir, upstreamTree: up.dir, json: true }, c2.io)).toBe(0);
      expect(readFileSync(join(f.dir, CORE), 'utf8')).toBe(after);
      expect(readFileSync(join(up.dir, CORE), 'utf8')).toBe(CORE_C);
    } finally {
      up.cleanup();
    }
  });

  it('exit 2: bad input gives one line on stderr and changes nothing', async () => {
    const f = setup();
    const bad = `${f.dir}-bad.patch`;
    writeFileSync(bad, 'this is not a diff\n');
    extra.push(bad);
    for (const args of [
      { patch: join(f.dir, 'missing.patch'), tree: f.dir },
      { patch: bad, tree: f.dir },
      { patch: seedLikePatch(f.dir), tree: join(f.dir, 'no-such-dir') },
      { patch: seedLikePatch(f.dir), tree: f.dir, upstreamTree: join(f.dir, 'no-such-upstream') },
    ]) {
      const c = capture();
      expect(await runPort(args, c.io)).toBe(2);
      expect(c.err).toHaveLength(1);
      expect(c.err[0].trim().split('\n')).toHaveLength(1);
      expect(c.out).toEqual([]);
    }
    expect(readFileSync(join(f.dir, CORE), 'utf8')).toBe(CORE_C);
  });
});
