import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUnifiedDiff } from '../../app/apply/parse.ts';
import { Git } from '../../app/git/git.ts';
import { parseVerifyConfig } from '../../app/verify/config.ts';
import { renderVerifyMarkdown, verifyBranch } from '../../app/verify/index.ts';

// A stand-in "kernel tree" in a real git repository: kbuild-like targets (allnoconfig/olddefconfig with O=,
// single-object builds), enough for the compile-check half of verifyBranch.
const tmp = mkdtempSync(join(tmpdir(), 'stablebot-verify-branch-'));
const src = join(tmp, 'src');
const git = new Git(src);
const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
let base = '';
let good = '';
let bad = '';

const before = `int gizmo_start(struct gizmo *g);
struct gizmo { int fd; };
static int gizmo_attach(struct gizmo *g, int n)
{
	int err;

	err = gizmo_map_slot(g, n);
	if (err)
		return err;
	return 0;
}
int gizmo_map_slot(struct gizmo *g, int n) { return n > g->fd; }
`.replace('int gizmo_start(struct gizmo *g);\n', 'struct gizmo;\nint gizmo_map_slot(struct gizmo *g, int n);\n');

beforeAll(async () => {
  mkdirSync(join(src, 'drivers/gizmo'), { recursive: true });
  writeFileSync(
    join(src, 'Makefile'),
    [
      'allnoconfig olddefconfig:',
      '\t@mkdir -p $(O)',
      '\t@if [ -n "$(KCONFIG_ALLCONFIG)" ]; then grep "^CONFIG_" $(KCONFIG_ALLCONFIG) > $(O)/.config; fi',
      '%.o: %.c',
      '\t@mkdir -p $(O)/$(dir $@)',
      '\t$(CC) -c $< -o $(O)/$@',
      '',
    ].join('\n'),
  );
  writeFileSync(join(src, 'drivers/gizmo/core.c'), before);
  await git.run(['init', '-q', '-b', 'linux-9.1.y']);
  await git.run(['add', '-A']);
  await git.run(['commit', '-qm', 'base'], { env });
  base = (await git.out(['rev-parse', 'HEAD'])).trim();
  const fixed = before.replace('\tif (err)\n\t\treturn err;\n', '\tif (err)\n\t\tgoto out_release;\n').replace(
    '\treturn 0;\n}\nint gizmo_map_slot',
    '\treturn 0;\n\nout_release:\n\tgizmo_release(g);\n\treturn err;\n}\nint gizmo_map_slot',
  );
  writeFileSync(join(src, 'drivers/gizmo/core.c'), 'void gizmo_release(struct gizmo *g);\n' + fixed);
  await git.run(['commit', '-qam', 'fix'], { env });
  good = (await git.out(['rev-parse', 'HEAD'])).trim();
  // struct gizmo has no member refs: does not compile
  writeFileSync(join(src, 'drivers/gizmo/core.c'), 'void gizmo_release(int refs);\n' + fixed.replace('gizmo_release(g);', 'gizmo_release(g->refs);'));
  await git.run(['commit', '-qam', 'broken backport'], { env });
  bad = (await git.out(['rev-parse', 'HEAD'])).trim();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('verifyBranch (compile check half)', () => {
  const config = parseVerifyConfig({ build: { timeoutSec: 60, jobs: 1 } });

  it('a backport that compiles: not blocking; the injection target comes from the diff', async () => {
    const patch = parseUnifiedDiff(await git.out(['diff', base, good]));
    const r = await verifyBranch({ branch: 'linux-9.1.y', srcDir: src, cacheDir: join(tmp, 'cache'), patch, config, base, head: good });
    expect(r.build.ok).toBe(true);
    expect(r.blocking).toBe(false);
    expect(r.conclusion).toBe('compiles');
    expect(r.configure?.changed).toBe(true);
    expect(r.proposals[0].inject.function).toBe('gizmo_map_slot');
    expect(r.proofProbe?.split(',')[0]).toBe('gizmo_attach');
    expect((await git.out(['rev-parse', 'HEAD'])).trim()).toBe(good);
    expect(renderVerifyMarkdown(r)).toContain('`drivers/gizmo/core.o` compiled');
  });

  it('a backport that does not compile: blocking, the compiler error quoted; the config is reused', async () => {
    const patch = parseUnifiedDiff(await git.out(['diff', base, bad]));
    const r = await verifyBranch({ branch: 'linux-9.1.y', srcDir: src, cacheDir: join(tmp, 'cache'), patch, config, base, head: bad });
    expect(r.build.ok).toBe(false);
    expect(r.blocking).toBe(true);
    expect(r.configure?.changed).toBe(false);
    expect(r.build.errors[0]).toMatch(/^drivers\/gizmo\/core\.c:\d+:\d+: error: .*refs/);
    expect(r.control).toBeNull();
    const md = renderVerifyMarkdown(r);
    expect(md).toContain('Build check **failed**');
    expect(md).toContain('refs');
  });

  it('rejects revisions that are not revisions, before touching the tree', async () => {
    await expect(
      verifyBranch({ branch: 'linux-9.1.y', srcDir: src, cacheDir: join(tmp, 'cache'), patch: [], config, head: '--upload-pack=x' }),
    ).rejects.toThrow(/not a revision/);
    await expect(verifyBranch({ branch: 'linux-9.1.y', srcDir: src, cacheDir: join(tmp, 'cache'), patch: [], config, head: 'deadbeefdeadbeef' })).rejects.toThrow(
      /no commit deadbeefdeadbeef/,
    );
  });
});
