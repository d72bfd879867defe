import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BackportReport, BranchResult } from '../core/backport.ts';
import { Git } from '../git/git.ts';
import { parseDiff } from '../intake/diff.ts';
import { renderVerifyMarkdown, verifyBranch, type VerifyConfig } from '../verify/index.ts';

export interface VerifyStageOptions {
  repoDir: string;
  config: VerifyConfig;
  /** a kernel checkout to build in; default: a worktree per branch kept under cacheDir (builds are incremental) */
  srcDir?: string;
  /** default ~/.cache/stablebot/verify */
  cacheDir?: string;
  log?: (line: string) => void;
}

/** A worktree per stable branch, kept between runs: the build stage is the one place a full checkout pays off. */
async function keptWorktree(git: Git, cacheDir: string, branch: string): Promise<string> {
  const dir = join(cacheDir, 'src', branch.replace(/[^A-Za-z0-9._-]/g, '_'));
  if (!existsSync(join(dir, '.git'))) {
    mkdirSync(join(cacheDir, 'src'), { recursive: true });
    await git.run(['worktree', 'add', '--detach', '--force', dir, branch]);
  }
  return dir;
}

/**
 * Runs the verify stage on every branch that got a backport commit and records the outcome on the result. A build
 * failure makes the branch "needs a human" with the compiler's lines; a patched FAIL is blocking in the check run.
 */
export async function verifyReport(report: BackportReport, opts: VerifyStageOptions): Promise<void> {
  const git = new Git(opts.repoDir);
  const cacheDir = opts.cacheDir ?? join(homedir(), '.cache/stablebot/verify');
  for (const r of report.results) {
    if (!r.commit || (r.outcome !== 'clean' && r.outcome !== 'adapted')) continue;
    await verifyOne(git, r, cacheDir, opts);
  }
}

async function verifyOne(git: Git, r: BranchResult, cacheDir: string, opts: VerifyStageOptions): Promise<void> {
  const commit = r.commit as string;
  const base = (await git.out(['rev-parse', `${commit}^`])).trim();
  const srcDir = opts.srcDir ?? (await keptWorktree(git, cacheDir, r.branch));
  const patch = parseDiff(await git.out(['diff-tree', '-p', '--no-renames', base, commit])).files;
  const v = await verifyBranch({ branch: r.branch, srcDir, cacheDir, patch, config: opts.config, base, head: commit, log: opts.log });
  r.verification = { conclusion: v.conclusion, blocking: v.blocking, markdown: renderVerifyMarkdown(v), details: v };
  r.evidence.push({ command: `stablebot backport --verify (on ${r.branch})`, result: v.conclusion });
  if (!v.build.ok) {
    r.outcome = 'needs-human';
    r.failure = {
      check: 'build',
      reason: `the backport does not compile: ${v.build.errors.slice(0, 5).join(' | ')}`,
      hunks: [],
      prerequisites: [],
      commands: [`git checkout ${r.backportBranch ?? commit}`, `make O=<build dir> ${patch.map((f) => (f.newPath ?? f.oldPath ?? '').replace(/\.c$/, '.o')).join(' ')}`],
    };
  }
}
