/**
 * bench/provenance: how analyze and backport scale with history length.
 *   npm run bench:provenance -- [--pad 100000] [--dir <path>]
 * Builds the fixture mirror padded to ~100,000 commits (git fast-import), writes a commit-graph (what `git gc` keeps
 * on a real mirror), then times, for the seed fix against the five stable branches: analyze cold (no reference
 * index yet), analyze warm, analyze per branch, and the end-to-end backport; the same on the unpadded mirror.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Git } from '../../app/git/git.ts';
import { analyze, backport } from '../../app/pipeline/backport.ts';
import { buildMirror } from '../../fixtures/mirror/build.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const pad = Number(opt('pad', '100000'));
const root = opt('dir', '') || mkdtempSync(join(tmpdir(), 'stablebot-bench-prov-'));
const keep = args.includes('--dir');

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function measure(label: string, dir: string, padN: number) {
  const [info, buildMs] = await time(() => buildMirror(dir, { pad: padN }));
  const git = new Git(dir);
  const [, graphMs] = await time(() => git.run(['commit-graph', 'write', '--reachable', '--changed-paths']));
  const commits = (await git.out(['rev-list', '--count', '--all'])).trim();
  const fix = info.commits.seedFix.sha;
  const gitDir = (await git.out(['rev-parse', '--absolute-git-dir'])).trim();
  rmSync(join(gitDir, 'stablebot'), { recursive: true, force: true });
  const input = { kind: 'commit' as const, rev: fix };
  const [cold, coldMs] = await time(() => analyze({ repoDir: dir, input }));
  const [, warmMs] = await time(() => analyze({ repoDir: dir, input }));
  const perBranch: string[] = [];
  for (const b of cold.branches) {
    const [, ms] = await time(() => analyze({ repoDir: dir, input, branches: [b.branch] }));
    perBranch.push(`${b.branch} ${fmt(ms)}`);
  }
  const [rep, bpMs] = await time(() => backport({ repoDir: dir, input }));
  const made = rep.results.filter((r) => r.outcome === 'clean' || r.outcome === 'adapted').length;
  console.log(`\n${label}: ${commits} commits (build ${fmt(buildMs)}, commit-graph ${fmt(graphMs)})`);
  console.log(`  verdicts: ${cold.branches.map((b) => `${b.branch}=${b.status}`).join(' ')}`);
  console.log(`  analyze, 5 branches, cold (builds the reference index): ${fmt(coldMs)}`);
  console.log(`  analyze, 5 branches, warm:                               ${fmt(warmMs)}`);
  console.log(`  analyze, one branch at a time (warm): ${perBranch.join(', ')}`);
  console.log(`  backport end to end, 5 branches (${made} commits made): ${fmt(bpMs)}  = ${fmt(bpMs / cold.branches.length)} per branch`);
}

try {
  await measure('fixture mirror', join(root, 'small'), 0);
  await measure(`padded mirror (pad=${pad})`, join(root, 'padded'), pad);
  console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
