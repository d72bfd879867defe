/**
 * A small real git history shaped like a kernel mirror (mainline + linux-X.Y.y branches forked at tags), its bare
 * copy standing for the GitHub repository, and a stand-in pipeline for handler tests: it really applies the
 * upstream diff to each branch (temporary index, commit-tree) but takes each branch's outcome from the test.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BackportReport, BranchOutcome, BranchResult } from '../../app/core/backport.ts';
import { Git } from '../../app/git/git.ts';
import type { PipelineOptions } from '../../app/pipeline/backport.ts';
import type { Pipeline } from '../../app/github/work.ts';

const ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.org',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.org',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

const DRIVER = (body: string) => `// SPDX-License-Identifier: GPL-2.0
/*
 * Scatter list helpers of the frobnicator block driver.
 */
#include <linux/blkdev.h>
#include <linux/dma-mapping.h>

static int frob_map_segments(struct frob_dev *dev, struct request *rq)
{
	struct frob_iter iter;
	int mapped = 0;

${body}
	return mapped;
}
`;

export interface Mirror {
  root: string;
  src: Git;
  bare: string;
  /** sha of the last mainline commit before the fix (the push's `before`) */
  base: string;
  commits: Record<string, string>;
  cleanup(): Promise<void>;
}

async function commitFile(git: Git, path: string, content: string, message: string): Promise<string> {
  await mkdir(dirname(join(git.dir, path)), { recursive: true });
  await writeFile(join(git.dir, path), content);
  await git.run(['add', '--', path], { env: ENV });
  await git.run(['commit', '-q', '-m', message], { env: ENV });
  return (await git.out(['rev-parse', 'HEAD'])).trim();
}

/** mainline with four releases and their stable branches; `branches` chooses which X.Y get a linux-X.Y.y */
export async function buildSmallMirror(versions = ['6.12', '6.17', '6.18', '6.19']): Promise<Mirror> {
  const root = await mkdtemp(join(tmpdir(), 'stablebot-gh-mirror-'));
  const src = new Git(join(root, 'src'));
  await mkdir(src.dir);
  await src.run(['init', '-q', '-b', 'master']);
  const commits: Record<string, string> = {};
  // the headers the driver includes: the backport's safety checks look names up in the target tree
  await commitFile(src, 'include/linux/errno.h', '#define EIO\t\t 5\n#define ENOMEM\t\t12\n', 'errno: add');
  await commitFile(src, 'include/linux/blkdev.h', 'struct request;\nstruct frob_iter;\nstruct frob_dev;\n#define for_each_segment(iter, rq) for (;;)\n', 'block: add blkdev.h');
  await commitFile(src, 'include/linux/dma-mapping.h', '#include <linux/errno.h>\n', 'dma: add dma-mapping.h');
  commits.initial = await commitFile(src, 'drivers/block/frob/map.c', DRIVER('\tfor_each_segment(iter, rq)\n\t\tmapped++;\n'), 'frob: add segment mapping');
  for (const [i, v] of versions.entries()) {
    commits[v] = await commitFile(src, `drivers/block/frob/notes-${i}.txt`, `notes ${v}\n`, `frob: prepare ${v}`);
    await src.run(['tag', `v${v}`]);
    await src.run(['branch', `linux-${v}.y`]);
  }
  const base = commits[versions.at(-1)!];
  const bare = join(root, 'github.git');
  await src.run(['clone', '-q', '--bare', src.dir, bare]);
  return { root, src, bare, base, commits, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Add a mainline commit changing the driver (the fix) and push master to the bare copy. */
export async function addMainlineCommit(m: Mirror, message: string, extraLine = '\tif (!mapped)\n\t\treturn -EIO;\n'): Promise<string> {
  const path = join(m.src.dir, 'drivers/block/frob/map.c');
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path, 'utf8');
  const sha = await commitFile(m.src, 'drivers/block/frob/map.c', text.replace('\treturn mapped;', `${extraLine}\treturn mapped;`), message);
  await m.src.run(['push', '-q', m.bare, 'master']);
  return sha;
}

/** Add a mainline commit that only adds a file elsewhere (does not disturb the driver's context). */
export async function addMainlineFile(m: Mirror, path: string, message: string): Promise<string> {
  const sha = await commitFile(m.src, path, `${message}\n`, message);
  await m.src.run(['push', '-q', m.bare, 'master']);
  return sha;
}

export interface FakePipeline extends Pipeline {
  calls: PipelineOptions[];
}

/**
 * A pipeline whose per-branch outcome is chosen by the test; clean/adapted really make the commit on the branch.
 * Branches missing from `outcomes` are not affected.
 */
export function fakePipeline(outcomes: Record<string, BranchOutcome>, opts: { failWith?: () => Error; failures?: number } = {}): FakePipeline {
  const calls: PipelineOptions[] = [];
  let failuresLeft = opts.failures ?? Infinity;
  return {
    calls,
    async backport(o) {
      calls.push(o);
      if (opts.failWith && failuresLeft-- > 0) throw opts.failWith();
      const git = new Git(o.repoDir);
      let sha: string;
      let subject: string;
      if (o.input.kind === 'commit') {
        sha = await git.resolveCommit(o.input.rev);
        subject = (await git.out(['log', '-1', '--format=%s', sha])).trim();
      } else {
        subject = o.input.text.split('\n').find((l) => l.trim())!.replace(/^Subject:\s*/, '').replace(/^\[PATCH[^\]]*\]\s*/, '');
        const m = /commit ([0-9a-f]{40})/.exec(o.input.text);
        sha = m ? m[1] : await git.resolveCommit('master');
      }
      const patterns = (o.branches ?? ['linux-*.y']).map((b) => `refs/heads/${b}`);
      const branches = (await git.out(['for-each-ref', '--format=%(refname:short)', ...patterns])).split('\n').filter(Boolean);
      const results: BranchResult[] = [];
      for (const branch of branches) {
        const outcome = outcomes[branch] ?? 'not-affected';
        const result: BranchResult = {
          branch,
          outcome,
          backportBranch: null,
          commit: null,
          rules: outcome === 'adapted' ? ['context-substitution'] : [],
          adaptations: outcome === 'adapted' ? [{ rule: 'context-substitution', file: 'drivers/block/frob/map.c', hunk: 1, note: 'Adjust context', params: {} }] : [],
          interdiff: outcome === 'adapted' ? '-a\n+b\n' : null,
          method: outcome === 'clean' ? 'cherry-pick' : outcome === 'adapted' ? 'rules' : null,
          commitMessage: null,
          failure:
            outcome === 'needs-human'
              ? {
                  check: 'context-mismatch',
                  reason: 'hunk 1 does not apply: the loop was rewritten',
                  hunks: [],
                  prerequisites: ['0123456789ab ("frob: rewrite the segment loop")'],
                  commands: [`git fetch origin ${branch}`, 'git checkout FETCH_HEAD', `git cherry-pick -x ${sha}`],
                }
              : null,
          evidence: [],
        };
        if ((outcome === 'clean' || outcome === 'adapted') && !o.dryRun) {
          const index = join(o.repoDir, '.git', `stablebot-test-index-${process.pid}`);
          const env = { ...ENV, GIT_INDEX_FILE: index };
          await git.run(['read-tree', branch], { env });
          const diff = await git.out(['diff', '--binary', `${sha}^`, sha]);
          await git.run(['apply', '--cached', '-3'], { env, input: diff });
          const tree = (await git.out(['write-tree'], { env })).trim();
          const message = `${subject}\n\n[ Upstream commit ${sha} ]\n`;
          const commit = (await git.out(['commit-tree', tree, '-p', branch, '-m', message], { env })).trim();
          result.backportBranch = `stablebot/${branch}/${sha.slice(0, 12)}`;
          await git.run(['update-ref', `refs/heads/${result.backportBranch}`, commit]);
          result.commit = commit;
          result.commitMessage = message;
        }
        results.push(result);
      }
      return {
        provenance: {
          upstream: { sha, subject, matchedBy: 'sha', notes: [] },
          introducedBy: [],
          contextCommits: [],
          branches: results.map((r) => ({
            branch: r.branch,
            status: r.outcome === 'not-affected' ? 'not-affected' : r.outcome === 'already-fixed' ? 'already-fixed' : 'affected',
            summary: `${r.branch} is ${r.outcome}`,
            evidence: [],
          })),
        },
        results,
      } satisfies BackportReport;
    },
    renderReport: (r) => `report for ${r.provenance.upstream.subject}: ${r.results.map((x) => `${x.branch}=${x.outcome}`).join(', ')}`,
    renderBranchReport: (r, branch) => `Backport of ${r.provenance.upstream.sha} to ${branch}`,
  };
}
