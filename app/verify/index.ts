/**
 * verifyBranch(): the verify stage for one backport branch.
 *   1. compile check of every .c file the backport touches (kept O= build dir per branch: incremental);
 *   2. when `verify.qemu` is set: the error-path test in QEMU, first on the unpatched tree (control, `base`), then
 *      on the backport (`head`), each an incremental build of the same build dir;
 *   3. the pair of verdicts compared: only "unpatched FAIL → patched PASS" is reported as reproduced-and-fixed.
 * Returns a typed VerifyResult; renderVerifyMarkdown() turns it into the check-run text.
 * Note: with `base`/`head` the stage checks those revisions out in srcDir and leaves `head` checked out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StablebotError } from '../core/errors.ts';
import { filePath, type FilePatch } from '../core/patch.ts';
import { Git } from '../git/git.ts';
import {
  buildCheck,
  buildDirFor,
  buildInjector,
  buildKernel,
  configure,
  defaultJobs,
  type BuildCheckResult,
  type BuildTree,
  type ConfigureResult,
} from './build.ts';
import { compareRuns, type Comparison } from './compare.ts';
import type { InjectSpec, VerifyConfig } from './config.ts';
import { runErrorPath, type ErrorPathRun, type KernelUnderTest } from './error-path-run.ts';
import { callersInFile, proposeInjectTargets, type InjectProposal } from './inject-target.ts';
import type { SerialVerdict } from './serial-verdict.ts';

export { parseVerifyConfig, verifyConfigFromFlags, verifySchema, type VerifyConfig } from './config.ts';
export { scanSerialLog } from './serial-verdict.ts';
export { proposeInjectTargets } from './inject-target.ts';
export { compareRuns } from './compare.ts';

export interface VerifyBranchInput {
  /** stable branch name; names the kept build directory */
  branch: string;
  /** the kernel source tree (a worktree of the branch) */
  srcDir: string;
  /** where build directories are kept between runs */
  cacheDir: string;
  /** the backport's diff */
  patch: FilePatch[];
  config: VerifyConfig;
  /** the backport commit and the commit under it, in srcDir: enables the unpatched control run */
  head?: string;
  base?: string;
  /** a ready kernel (e.g. a distribution kernel) instead of building srcDir's */
  prebuilt?: KernelUnderTest;
  log?: (line: string) => void;
}

export interface StageResult {
  label: 'unpatched' | 'patched';
  revision: string | null;
  buildSeconds: number;
  buildErrors: string[];
  run: Omit<ErrorPathRun, 'log'> | null;
}

export interface VerifyResult {
  branch: string;
  configure: ConfigureResult | null;
  build: BuildCheckResult;
  scenarios: InjectSpec[];
  proofProbe: string | null;
  proposals: InjectProposal[];
  control: StageResult | null;
  patched: StageResult | null;
  comparison: Comparison | null;
  /** does the result argue against merging (compile error, patched FAIL, regression)? */
  blocking: boolean;
  conclusion: string;
}

const REV = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/;

async function resolveRevision(git: Git, rev: string): Promise<string> {
  if (!REV.test(rev) || rev.includes('..')) throw new StablebotError('bad-input', `not a revision: ${JSON.stringify(rev)}`);
  const r = await git.run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { allowFail: true });
  if (r.code !== 0) throw new StablebotError('unknown-sha', `no commit ${rev} in ${git.dir}`);
  return r.stdout.trim();
}

function scenariosFor(input: VerifyBranchInput, proposals: InjectProposal[]): InjectSpec[] {
  const configured = input.config.qemu?.inject ?? [];
  if (configured.length) return configured;
  // each scenario costs a boot's worth of I/O: the first few proposals are enough
  return proposals.slice(0, 3).map((p) => p.inject);
}

/** The proof probe: the changed function, then its callers in the same file (a static function is often inlined). */
function proofProbeFor(input: VerifyBranchInput, proofProbes: string[], proposals: InjectProposal[]): string | null {
  if (input.config.qemu?.proofProbe) return input.config.qemu.proofProbe;
  const fn = proposals[0]?.inFunction ?? proofProbes[0];
  if (!fn) return null;
  const file = proposals[0]?.file ?? input.patch.map(filePath).find((f) => f.endsWith('.c'));
  const src = file ? join(input.srcDir, file) : null;
  const callers = src && existsSync(src) ? callersInFile(readFileSync(src, 'utf8'), fn) : [];
  return [fn, ...callers].join(',');
}

export async function verifyBranch(input: VerifyBranchInput): Promise<VerifyResult> {
  const log = input.log ?? (() => {});
  const git = new Git(input.srcDir);
  const head = input.head ? await resolveRevision(git, input.head) : null;
  const base = input.base ? await resolveRevision(git, input.base) : null;
  const tree: BuildTree = { srcDir: input.srcDir, outDir: buildDirFor(input.cacheDir, input.branch), jobs: input.config.build.jobs ?? defaultJobs() };
  const buildTimeout = input.config.build.timeoutSec;
  const checkout = async (rev: string) => {
    await git.run(['checkout', '-q', '--detach', rev]);
  };

  if (head) await checkout(head);
  const conf = await configure(tree, { config: input.config.build.config, fragment: input.config.build.fragment, timeoutSec: buildTimeout });
  if (conf.missing.length) log(`config: not set after olddefconfig: ${conf.missing.join(' ')}`);
  const touched = input.patch.map(filePath);
  log(`build check: ${touched.join(' ')}`);
  const build = await buildCheck(tree, touched, buildTimeout);
  const { proposals, proofProbes } = proposeInjectTargets(input.patch);
  const scenarios = scenariosFor(input, proposals);
  const proofProbe = proofProbeFor(input, proofProbes, proposals);
  const result: VerifyResult = {
    branch: input.branch,
    configure: conf,
    build,
    scenarios,
    proofProbe,
    proposals,
    control: null,
    patched: null,
    comparison: null,
    blocking: !build.ok,
    conclusion: build.ok ? 'compiles' : `does not compile: ${build.errors[0]}`,
  };
  const qemu = input.config.qemu;
  if (!build.ok || !qemu) return result;
  if (!scenarios.length) {
    result.conclusion = 'compiles; no error-path test: no injection target found in the diff (set verify.qemu.inject)';
    return result;
  }

  const prebuilt = input.prebuilt ?? (qemu.kernel ? prebuiltFromConfig(input.srcDir, qemu.kernel) : null);
  const stage = async (label: StageResult['label'], rev: string | null): Promise<StageResult> => {
    if (rev) await checkout(rev);
    let kernel = prebuilt;
    let buildSeconds = 0;
    if (!kernel) {
      log(`${label}: building kernel (${tree.outDir})`);
      const kb = await buildKernel(tree, buildTimeout);
      buildSeconds = kb.seconds;
      if (!kb.ok) return { label, revision: rev, buildSeconds, buildErrors: kb.errors, run: null };
      kernel = { image: kb.image, injector: await buildInjector(tree, buildTimeout) };
    }
    log(`${label}: QEMU error-path run (${scenarios.map((s) => s.function).join(', ')})`);
    const run = await runErrorPath({
      kernel,
      scenarios,
      proofProbe: proofProbe ?? undefined,
      ioMb: qemu.ioMb,
      memoryMb: qemu.memoryMb,
      timeoutSec: qemu.timeoutSec,
    });
    const { log: _full, ...summary } = run;
    return { label, revision: rev, buildSeconds, buildErrors: [], run: summary };
  };

  if (qemu.control && base && !prebuilt) result.control = await stage('unpatched', base);
  result.patched = await stage('patched', head);
  const pv = result.patched.run?.verdict;
  if (!pv) {
    result.blocking = true;
    result.conclusion = `compiles; the patched kernel did not build: ${result.patched.buildErrors[0] ?? 'unknown error'}`;
    return result;
  }
  const cv: SerialVerdict | null = result.control?.run?.verdict ?? null;
  result.comparison = compareRuns(cv, pv);
  result.blocking = result.comparison.blocking;
  result.conclusion = result.comparison.summary;
  return result;
}

/** `verify.qemu.kernel`: an image with its kpinj.ko beside it (all drivers built in). */
function prebuiltFromConfig(srcDir: string, kernel: string): KernelUnderTest {
  const image = kernel.startsWith('/') ? kernel : join(srcDir, kernel);
  const injector = join(dirname(image), 'kpinj.ko');
  if (!existsSync(image) || !existsSync(injector)) {
    throw new StablebotError('bad-config', `verify.qemu.kernel: need ${image} and kpinj.ko beside it`);
  }
  return { image, injector };
}

// ---------- markdown ----------

function quote(lines: string[], max = 12): string {
  return lines.length ? '```\n' + lines.slice(0, max).join('\n') + (lines.length > max ? `\n… ${lines.length - max} more` : '') + '\n```' : '';
}

function stageMarkdown(s: StageResult): string {
  const out = [`#### ${s.label}${s.revision ? ` (${s.revision.slice(0, 12)})` : ''}`];
  if (s.buildErrors.length) return [...out, `build failed after ${s.buildSeconds.toFixed(0)} s`, quote(s.buildErrors)].join('\n');
  const r = s.run;
  if (!r) return out.join('\n');
  const v = r.verdict;
  out.push(
    `**${v.verdict}**: ${v.reasons.join('; ')}`,
    '',
    `- data: ${v.dataOk === null ? 'n/a' : v.dataOk ? 'OK' : 'MISMATCH'}; injected: ${v.injected ?? 'n/a'}; proof probe count: ${v.proofCount ?? 'n/a'}`,
    `- build ${s.buildSeconds.toFixed(0)} s, boot + test ${r.seconds.toFixed(1)} s (${r.accel})`,
  );
  for (const sc of v.scenarios) {
    out.push(
      `- scenario \`${sc.label}\`: ${sc.injected} injected of ${sc.hits} calls, data ${sc.dataOk ? 'OK' : 'MISMATCH'}` +
        (sc.proof !== null
          ? `; \`${sc.proofProbe ?? 'proof probe'}\` ran ${sc.proof}× with an injected error and returned non-zero ${sc.proofRetNonZero}×, zero ${sc.proofRet0}×`
          : ''),
    );
  }
  if (v.splats.length) out.push('', `Kernel splats (${v.splatCount} lines):`, quote(v.splats));
  return out.join('\n');
}

export function renderVerifyMarkdown(r: VerifyResult): string {
  const out = [`### Verification on ${r.branch}`, '', `**${r.conclusion}**`, ''];
  const b = r.build;
  out.push(
    b.ok
      ? `Build check: ${b.objects.length ? b.objects.map((o) => '`' + o + '`').join(', ') + ` compiled in ${b.seconds.toFixed(0)} s` : 'nothing to compile'}` +
          (b.notBuilt.length ? `; not in this config: ${b.notBuilt.join(', ')}` : '')
      : `Build check **failed**:\n${quote(b.errors)}`,
  );
  if (b.warnings.length) out.push(`Warnings in touched files:\n${quote(b.warnings, 6)}`);
  if (r.scenarios.length && (r.control || r.patched)) {
    out.push('', 'Error-path test (QEMU, NVMe behind an emulated Intel IOMMU, kprobe error injection):');
    for (const s of r.scenarios) {
      const f = s.filter ? `, only when argument ${s.filter.arg} ≥ ${s.filter.min}` : '';
      out.push(`- fail \`${s.function}\` → ${s.retval} every ${s.interval}. call after ${s.skip}, at most ${s.times}×${f}${s.noop ? `; \`${s.noop.function}\` made a no-op` : ''}`);
    }
    if (r.proofProbe) out.push(`- proof probe: \`${r.proofProbe.split(',')[0]}\`${r.proofProbe.includes(',') ? ` (fallbacks if inlined: ${r.proofProbe.split(',').slice(1).join(', ')})` : ''}`);
    out.push('');
    if (r.control) out.push(stageMarkdown(r.control), '');
    if (r.patched) out.push(stageMarkdown(r.patched), '');
    const ex = r.patched?.run?.excerpt;
    if (ex) out.push('<details><summary>serial log excerpt (patched)</summary>', '', '```', ex, '```', '</details>');
  }
  return out.join('\n');
}
