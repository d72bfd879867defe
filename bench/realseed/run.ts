/**
 * bench/realseed: the seed mail against Debian's REAL linux 6.18.15 and 6.19.8 trees.
 *   npm run bench:realseed [-- --work <dir>]
 * Builds the mirror with ../shared/bench/realseed/build.sh when missing (~320 MB download), makes a shared clone so
 * the cached mirror is never modified, runs `stablebot backport <seed mail> --repo <clone>` through the real CLI, and
 * prints the outcome per branch and the backport's diff for linux-6.18.y.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Git } from '../../app/git/git.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const wi = args.indexOf('--work');
const W = wi >= 0 ? args[wi + 1] : (process.env.W ?? join(homedir(), '.cache/realseed'));
const mirror = join(W, 'mirror');
const seed = join(W, 'seed.mbox');

if (!existsSync(join(mirror, '.git')) || !existsSync(seed)) {
  const build = join(here, '../../../shared/bench/realseed/build.sh');
  console.log(`building the real mirror with ${build} (W=${W})…`);
  const r = spawnSync('bash', [build], { stdio: 'inherit', env: { ...process.env, W } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const work = mkdtempSync(join(tmpdir(), 'stablebot-realseed-'));
try {
  const clone = join(work, 'mirror');
  const git = new Git(work);
  // a bare clone keeps the mirror's branch names as local branches, and shares its objects (no copy)
  await git.run(['clone', '-q', '--shared', '--bare', mirror, clone]);
  const c = new Git(clone);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(here, '../../app/bin/stablebot.mjs'), 'backport', seed, '--repo', clone, '--json'], { encoding: 'utf8' });
  const ms = Date.now() - t0;
  if (r.status !== 0 && r.status !== 3) {
    console.log(`stablebot backport failed (exit ${r.status}): ${r.stderr.trim()}`);
    process.exit(1);
  }
  const j = JSON.parse(r.stdout);
  console.log(`\nstablebot backport <seed mail> --repo <real 6.18.15 + 6.19.8 mirror>  (${(ms / 1000).toFixed(1)} s)`);
  console.log(`upstream: ${j.upstream.subject} (${j.upstream.matchedBy}); ${j.upstream.notes.join('; ')}`);
  for (const x of j.results) {
    console.log(`  ${x.branch}: ${x.outcome}${x.rules.length ? ` (${x.rules.join(', ')})` : ''}${x.failure ? ` — ${x.failure.check}: ${x.failure.reason}` : ''}`);
    for (const a of x.adaptations) console.log(`      [ ${a.note} ]`);
  }
  const b618 = j.results.find((x: { branch: string }) => x.branch === 'linux-6.18.y');
  if (b618?.backportBranch) {
    console.log(`\n$ git diff linux-6.18.y ${b618.backportBranch}`);
    console.log(await c.out(['diff', 'linux-6.18.y', b618.backportBranch]));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
