/**
 * Sweep bench (printed figures, not a timed test). On a padded kernel-shaped mirror (default pad 100,000) with
 * 10,000 new upstream commits and five stable branches:
 *   - reference index build, cold (all five branches, empty store)
 *   - sweep: selection + provenance over the new commits (no backports), index already current
 *   - incremental index update after 1,000 new commits on one stable branch
 *   - peak memory of this process (the mirror is built in a child process)
 * Targets: sweep < 60 s, incremental index < 2 s per 1,000 commits.
 *
 *   node --import tsx bench/sweep/run.ts [--pad 100000] [--commits 10000] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Git } from '../../app/git/git.ts';
import { ReferenceIndex } from '../../app/index/refindex.ts';
import { SqliteStore } from '../../app/store/sqlite.ts';
import { runSweep } from '../../app/sweep/run.ts';
import { addBackports } from './setup.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const pad = arg('pad', 100_000);
const newCommits = arg('commits', 10_000);
const tmp = mkdtempSync(join(tmpdir(), 'stablebot-bench-sweep-'));
const mb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

try {
  const setup = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'setup.ts'), join(tmp, 'mirror.git'), String(pad), String(newCommits)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (setup.status !== 0) throw new Error(`setup failed: ${setup.stderr}`);
  const { dir, since, mirrorMs, upstreamMs } = JSON.parse(setup.stdout.trim().split('\n').pop()!) as { dir: string; since: string; mirrorMs: number; upstreamMs: number };
  const git = new Git(dir);
  const branches = (await git.out(['for-each-ref', '--format=%(refname:short)', 'refs/heads/linux-*.y'])).split('\n').filter(Boolean);
  const total = (await git.out(['rev-list', '--count', 'master'])).trim();
  console.log(`mirror: pad ${pad}, ${total} commits on master, branches ${branches.join(', ')} (built in ${s(mirrorMs)}; ${newCommits} new upstream commits in ${s(upstreamMs)})`);

  const store = new SqliteStore(join(tmp, 'state.sqlite'));
  const index = await ReferenceIndex.forRepo(git, { store });
  let cold = 0;
  for (const b of branches) {
    const u = await index.update(b);
    cold += u.ms;
    console.log(`index cold   ${b.padEnd(14)} ${String(u.added).padStart(7)} commits  ${s(u.ms)}`);
  }
  console.log(`index cold   total                           ${s(cold)}`);

  const t0 = performance.now();
  const result = await runSweep({ repoDir: dir, since, store });
  const sweepMs = performance.now() - t0;
  const by = (c: string) => result.candidates.filter((x) => x.class === c).length;
  console.log(
    `sweep        ${result.considered} commits: ${by('tagged')} tagged, ${by('autosel')} AUTOSEL-style, ${by('excluded')} excluded  ${s(sweepMs)}  (target < 60 s)`,
  );
  const b = result.blame;
  if (b) console.log(`  blame      ${b.processes} git blame processes; ${b.replayed} lines attributed in memory, ${b.cached} from the cache`);

  const target = branches[branches.length - 1];
  await addBackports(git, target, since, 1000);
  const inc = await index.update(target);
  console.log(`index incr.  ${target.padEnd(14)} ${String(inc.added).padStart(7)} commits  ${s(inc.ms)}  (target < 2 s / 1,000)`);
  index.close();
  store.close();
  console.log(`peak memory  ${mb()} MB maxRSS of this process (git children not included)`);
} finally {
  if (!process.argv.includes('--keep')) rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
}
