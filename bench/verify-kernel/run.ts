/**
 * bench:verify-kernel — the seed fix (81e7223b, "block: fix partial IOVA mapping cleanup in blk_rq_dma_map_iova")
 * verified end to end on a real stable tree: linux 6.18.15 (the tree /work/shared/bench/realseed/build.sh fetches).
 *
 *   1. a source clone of the mirror's linux-6.18.y (kept: it is what incremental builds compare against);
 *   2. the backport: `stablebot backport <seed> --repo <mirror> --to linux-6.18.y` when that succeeds, else the
 *      correct 6.18 backport made here (the upstream change with `attrs` → 0), committed on a local branch;
 *   3. verifyBranch(): compile check, kernel build with the error-path config, QEMU run on the UNPATCHED tree
 *      (control), incremental rebuild, the same run on the PATCHED tree, both verdicts compared.
 * The injection scenarios and the proof probe are the ones proposeInjectTargets() derives from the backport diff.
 * Prints build / rebuild / boot+test times and both verdicts with the splats quoted. Only the build directory and
 * the source clone are kept (under ~/.cache/stablebot/verify-bench); images and logs are temporary.
 *
 *   W=~/.cache/realseed bash /work/shared/bench/realseed/build.sh   # once
 *   node --import tsx bench/verify-kernel/run.ts [--cold] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUnifiedDiff } from '../../app/apply/parse.ts';
import { Git } from '../../app/git/git.ts';
import { parseVerifyConfig } from '../../app/verify/config.ts';
import { renderVerifyMarkdown, verifyBranch, type StageResult } from '../../app/verify/index.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const W = process.env.W ?? join(homedir(), '.cache/realseed');
const MIRROR = join(W, 'mirror');
const SEED = join(W, 'seed.mbox');
const BENCH = process.env.STABLEBOT_VERIFY_BENCH ?? join(homedir(), '.cache/stablebot/verify-bench');
const SRC = join(BENCH, 'src');
const BRANCH = 'linux-6.18.y';
const LOCAL = 'stablebot-bench/backport';
const json = process.argv.includes('--json');
/** --cold: drop the kept build directory first, to measure a first build */
const cold = process.argv.includes('--cold');
const say = (s: string) => process.stderr.write(`[verify-kernel] ${s}\n`);

function fail(msg: string): never {
  process.stderr.write(`verify-kernel: ${msg}\n`);
  process.exit(2);
}

if (!existsSync(join(MIRROR, '.git')) || !existsSync(SEED)) {
  fail(`no realseed mirror at ${MIRROR}: run  W=${W} bash /work/shared/bench/realseed/build.sh`);
}
mkdirSync(BENCH, { recursive: true });
if (!existsSync(join(SRC, '.git'))) {
  say(`cloning ${BRANCH} from the mirror (shared objects) into ${SRC}`);
  const r = spawnSync('git', ['clone', '-q', '--shared', '-b', BRANCH, MIRROR, SRC], { stdio: 'inherit' });
  if (r.status !== 0) fail('git clone failed');
}
const git = new Git(SRC);
await git.run(['fetch', '-q', MIRROR, `+refs/heads/${BRANCH}:refs/remotes/origin/${BRANCH}`]);
const base = (await git.out(['rev-parse', `refs/remotes/origin/${BRANCH}`])).trim();

/** The lead's backport command; its branch is fetched from the mirror when it worked. */
async function backportWithStablebot(): Promise<{ head: string; how: string } | null> {
  const r = spawnSync(process.execPath, [join(ROOT, 'app/bin/stablebot.mjs'), 'backport', SEED, '--repo', MIRROR, '--to', BRANCH], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) {
    say(`stablebot backport did not produce a branch (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    return null;
  }
  const mirror = new Git(MIRROR);
  const refs = (await mirror.out(['for-each-ref', '--sort=-committerdate', '--format=%(refname)', `refs/heads/stablebot/${BRANCH}/`])).trim().split('\n').filter(Boolean);
  if (!refs.length) return null;
  await git.run(['fetch', '-q', MIRROR, `+${refs[0]}:refs/heads/${LOCAL}`]);
  return { head: (await git.out(['rev-parse', LOCAL])).trim(), how: `stablebot backport (${refs[0].replace('refs/heads/', '')})` };
}

/**
 * Stand-in until `stablebot backport` handles the seed: the upstream change adapted to 6.18 (no `attrs` there, so
 * dma_iova_destroy() gets 0), applied to the real file and committed on a local branch.
 */
async function backportByHand(): Promise<{ head: string; how: string }> {
  await git.run(['checkout', '-q', '-B', LOCAL, base]);
  const file = join(SRC, 'block/blk-mq-dma.c');
  const before = readFileSync(file, 'utf8');
  const loop = '\t\tif (error)\n\t\t\tbreak;\n\t\tmapped += vec->len;';
  const sync =
    '\terror = dma_iova_sync(dma_dev, state, 0, mapped);\n\tif (error) {\n\t\titer->status = errno_to_blk_status(error);\n\t\treturn false;\n\t}\n\n\treturn true;\n}';
  if (!before.includes(loop) || !before.includes(sync)) fail('block/blk-mq-dma.c does not have the expected 6.18 shape');
  const after = before
    .replace(loop, '\t\tif (error)\n\t\t\tgoto out_unlink;\n\t\tmapped += vec->len;')
    .replace(
      sync,
      '\terror = dma_iova_sync(dma_dev, state, 0, mapped);\n\tif (error)\n\t\tgoto out_unlink;\n\n\treturn true;\n\nout_unlink:\n' +
        '\tdma_iova_destroy(dma_dev, state, mapped, dir, 0);\n\titer->status = errno_to_blk_status(error);\n\treturn false;\n}',
    );
  writeFileSync(file, after);
  await git.run(['commit', '-q', '-a', '-m', 'block: fix partial IOVA mapping cleanup in blk_rq_dma_map_iova (6.18 backport, bench stand-in)'], {
    env: { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' },
  });
  return { head: (await git.out(['rev-parse', 'HEAD'])).trim(), how: 'hand-made 6.18 backport (stablebot backport not available for this seed yet)' };
}

const backport = (await backportWithStablebot()) ?? (await backportByHand());
const diff = await git.out(['diff', base, backport.head]);
const patch = parseUnifiedDiff(diff);
say(`backport: ${backport.how}, ${patch.length} file(s): ${patch.map((f) => f.newPath).join(' ')}`);

if (cold) rmSync(join(BENCH, 'build'), { recursive: true, force: true });
const config = parseVerifyConfig({ build: { timeoutSec: 3600 }, qemu: { timeoutSec: 300, control: true } });
const started = Date.now();
const result = await verifyBranch({ branch: BRANCH, srcDir: SRC, cacheDir: join(BENCH, 'build'), patch, config, base, head: backport.head, log: say });
const total = (Date.now() - started) / 1000;

if (json) {
  process.stdout.write(JSON.stringify({ backport: backport.how, totalSeconds: total, result }, null, 2) + '\n');
} else {
  const line = (s: StageResult | null) =>
    s?.run
      ? `${s.label.padEnd(10)} ${s.label === 'patched' ? 'rebuild' : 'build  '} ${s.buildSeconds.toFixed(0).padStart(4)} s   boot+test ${s.run.seconds.toFixed(1).padStart(5)} s (${s.run.accel})   ${s.run.verdict.verdict}` +
        `   injected=${s.run.verdict.injected} proof=${s.run.verdict.proofCount} data=${s.run.verdict.dataOk ? 'OK' : 'MISMATCH'} splat lines=${s.run.verdict.splatCount}`
      : `${s?.label ?? '-'}: ${s?.buildErrors.join('; ') ?? 'not run'}`;
  const out = [
    `verify-kernel: linux ${BRANCH} @ ${base.slice(0, 12)}, backport ${backport.head.slice(0, 12)} (${backport.how})`,
    `config ${result.configure?.changed ? 'generated' : 'reused'} in ${result.configure?.seconds.toFixed(1)} s; compile check ${result.build.seconds.toFixed(1)} s (${result.build.objects.join(' ')})`,
    `injection: ${result.scenarios.map((s) => `${s.function}→${s.retval}${s.filter ? ` if arg${s.filter.arg}≥${s.filter.min}` : ''} every ${s.interval}., ≤${s.times}×`).join('; ')}; proof probe ${result.proofProbe}`,
    line(result.control),
    line(result.patched),
    `=> ${result.conclusion}   (total ${total.toFixed(0)} s)`,
    '',
    renderVerifyMarkdown(result),
  ];
  process.stdout.write(out.join('\n') + '\n');
}
