/**
 * The verify stage wired into backport: a stand-in kernel tree (kbuild-like Makefile: olddefconfig with O=,
 * single-object builds with the host compiler), a real mainline/stable history, the real pipeline.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git } from '../../app/git/git.ts';
import { backport } from '../../app/pipeline/backport.ts';
import { verifyReport } from '../../app/pipeline/verify.ts';
import { parseVerifyConfig } from '../../app/verify/config.ts';

const env = { GIT_AUTHOR_NAME: 'A U Thor', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'A U Thor', GIT_COMMITTER_EMAIL: 'a@example.org', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };
const CORE = `// SPDX-License-Identifier: GPL-2.0
#include "gizmo.h"

int gizmo_attach(struct gizmo *g, int n)
{
	int err;

	err = gizmo_map_slot(g, n);
	if (err)
		return err;
	return 0;
}
`;
const HEADER = `struct gizmo { int fd; };
int gizmo_map_slot(struct gizmo *g, int n);
void gizmo_release(struct gizmo *g);
`;

let tmp: string;
let git: Git;

async function commit(path: string, text: string, msg: string) {
  writeFileSync(join(git.dir, path), text);
  await git.run(['add', '-A'], { env });
  await git.run(['commit', '-qm', msg], { env });
  return (await git.out(['rev-parse', 'HEAD'])).trim();
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'stablebot-verify-stage-'));
  git = new Git(join(tmp, 'repo'));
  mkdirSync(join(git.dir, 'drivers/gizmo'), { recursive: true });
  writeFileSync(
    join(git.dir, 'Makefile'),
    ['allnoconfig olddefconfig:', '\t@mkdir -p $(O)', '\t@touch $(O)/.config', '%.o: %.c', '\t@mkdir -p $(O)/$(dir $@)', '\t$(CC) -Werror -c $< -o $(O)/$@', ''].join('\n'),
  );
  writeFileSync(join(git.dir, 'drivers/gizmo/gizmo.h'), HEADER);
  await git.run(['init', '-q', '-b', 'master']);
  await commit('drivers/gizmo/core.c', CORE, 'gizmo: add the driver');
  await git.run(['tag', 'v9.1']);
  await git.run(['branch', 'linux-9.1.y']);
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = parseVerifyConfig({ build: { timeoutSec: 120 } });

describe('backport --verify', () => {
  it('records "compiles" on a backport that builds, in a worktree kept for incremental builds', async () => {
    const fixed = CORE.replace('\tif (err)\n\t\treturn err;\n', '\tif (err) {\n\t\tgizmo_release(g);\n\t\treturn err;\n\t}\n');
    const sha = await commit('drivers/gizmo/core.c', fixed, 'gizmo: release the slot when mapping fails\n\nFixes: 0000000 ("x")\nSigned-off-by: A U Thor <a@example.org>');
    const report = await backport({ repoDir: git.dir, input: { kind: 'commit', rev: sha } });
    const r = report.results.find((x) => x.branch === 'linux-9.1.y')!;
    expect(r.outcome).toBe('clean');
    await verifyReport(report, { repoDir: git.dir, config, cacheDir: join(tmp, 'cache') });
    expect(r.verification?.blocking).toBe(false);
    expect(r.verification?.conclusion).toMatch(/compiles/);
    expect(r.verification?.markdown).toMatch(/drivers\/gizmo\/core\.o/);
    expect(existsSync(join(tmp, 'cache', 'src', 'linux-9.1.y', 'drivers/gizmo/core.c'))).toBe(true);
  });

  it('turns a backport that does not compile into "needs a human" with the compiler lines', async () => {
    await git.run(['reset', '-q', '--hard', 'v9.1']);
    // a missing semicolon: nothing a textual check catches, the compiler does
    const broken = CORE.replace('\tif (err)\n\t\treturn err;\n', '\tif (err) {\n\t\tgizmo_release(g)\n\t\treturn err;\n\t}\n');
    const sha = await commit('drivers/gizmo/core.c', broken, 'gizmo: release the slot when mapping fails (v2)\n\nSigned-off-by: A U Thor <a@example.org>');
    const report = await backport({ repoDir: git.dir, input: { kind: 'commit', rev: sha } });
    const r = report.results.find((x) => x.branch === 'linux-9.1.y')!;
    expect(r.commit).toBeTruthy();
    await verifyReport(report, { repoDir: git.dir, config, cacheDir: join(tmp, 'cache') });
    expect(r.outcome).toBe('needs-human');
    expect(r.failure?.check).toBe('build');
    expect(r.failure?.reason).toMatch(/core\.c:\d+.*error/);
    expect(r.verification?.blocking).toBe(true);
  });
});
