/**
 * Kernel builds for verification, on a real tree. One out-of-tree build directory per branch
 * (`O=<cache>/<branch>`) is kept between checks, so after the first build only what a patch touches recompiles.
 *   configure()   .config from a given file, or allnoconfig + a fragment (default kernel/errpath.config) +
 *                 olddefconfig; skipped when its inputs did not change (an untouched .config keeps builds incremental)
 *   buildCheck()  `make <dir>/<file>.o` for each .c file a patch touches → compiler errors quoted
 *   buildKernel() bzImage + modules (Module.symvers is what the injector module links against)
 *   buildInjector() kpinj.ko against that build
 * Every make runs under a time limit that kills its whole process group.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { StablebotError } from '../core/errors.ts';
import { KERNEL_DIR } from './initramfs.ts';
import { runLimited } from './run-limited.ts';

export interface BuildTree {
  /** the kernel source tree (a worktree of the stable branch) */
  srcDir: string;
  /** the kept build directory for this branch */
  outDir: string;
  jobs: number;
}

/** `<cache>/<branch>` with the branch checked: the name becomes a directory. */
export function buildDirFor(cacheDir: string, branch: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,100}$/.test(branch) || branch.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw new StablebotError('bad-input', `not a usable branch name for a build directory: ${JSON.stringify(branch)}`);
  }
  return join(cacheDir, branch.replace(/\//g, '__'));
}

export function defaultJobs(): number {
  return availableParallelism();
}

function make(tree: BuildTree, args: string[], timeoutSec: number, extraEnv: Record<string, string> = {}) {
  return runLimited('make', ['-C', tree.srcDir, `O=${tree.outDir}`, ...args], { timeoutSec, env: extraEnv, keepBytes: 512 * 1024 });
}

function fromTree(srcDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(srcDir, p);
}

export interface ConfigureResult {
  /** false when the inputs were unchanged and the existing .config was kept */
  changed: boolean;
  /** =y lines of the fragment that did not survive olddefconfig (missing dependencies) */
  missing: string[];
  seconds: number;
}

export async function configure(
  tree: BuildTree,
  opts: { config?: string; fragment?: string; timeoutSec: number },
): Promise<ConfigureResult> {
  const started = Date.now();
  mkdirSync(tree.outDir, { recursive: true });
  const dotConfig = join(tree.outDir, '.config');
  const fragmentPath = opts.config ? null : fromTree(tree.srcDir, opts.fragment ?? join(KERNEL_DIR, 'errpath.config'));
  const input = opts.config ? readInput(fromTree(tree.srcDir, opts.config)) : readInput(fragmentPath as string);
  const tiny = join(tree.srcDir, 'kernel/configs/tiny-base.config');
  const stampText = createHash('sha256')
    .update(opts.config ? 'config\0' : 'fragment\0')
    .update(input)
    .update(existsSync(tiny) ? readFileSync(tiny) : '')
    .digest('hex');
  const stamp = join(tree.outDir, '.stablebot-config-stamp');
  const seconds = () => (Date.now() - started) / 1000;
  if (existsSync(dotConfig) && existsSync(stamp) && readFileSync(stamp, 'utf8') === stampText) {
    return { changed: false, missing: missingSymbols(input, readFileSync(dotConfig, 'utf8'), !opts.config), seconds: seconds() };
  }
  // an identical regenerated .config keeps its old time stamp, so make does not resync and rebuild everything
  const before = existsSync(dotConfig) ? { text: readFileSync(dotConfig, 'utf8'), stat: statSync(dotConfig) } : null;
  if (opts.config) {
    writeFileSync(dotConfig, input);
  } else {
    // tiny-base keeps allnoconfig small (EXPERT etc.), the fragment asks for what the test needs
    const all = join(tree.outDir, '.stablebot-all.config');
    writeFileSync(all, (existsSync(tiny) ? readFileSync(tiny, 'utf8') + '\n' : '') + input);
    const r = await make(tree, ['-s', 'allnoconfig'], opts.timeoutSec, { KCONFIG_ALLCONFIG: all });
    if (r.code !== 0) throw new StablebotError('bad-config', `make allnoconfig failed: ${lastLines(r.output, 3)}`);
  }
  const r = await make(tree, ['-s', 'olddefconfig'], opts.timeoutSec);
  if (r.code !== 0) throw new StablebotError('bad-config', `make olddefconfig failed: ${lastLines(r.output, 3)}`);
  writeFileSync(stamp, stampText);
  const after = readFileSync(dotConfig, 'utf8');
  if (before && before.text === after) utimesSync(dotConfig, before.stat.atime, before.stat.mtime);
  return { changed: !before || before.text !== after, missing: missingSymbols(input, readFileSync(dotConfig, 'utf8'), !opts.config), seconds: seconds() };
}

function readInput(p: string): string {
  if (!existsSync(p)) throw new StablebotError('bad-config', `kernel config file not found: ${p}`);
  return readFileSync(p, 'utf8');
}

function missingSymbols(fragment: string, dotConfig: string, check: boolean): string[] {
  if (!check) return [];
  const have = new Set(dotConfig.split('\n'));
  return fragment.split('\n').filter((l) => /^CONFIG_\w+=y$/.test(l.trim()) && !have.has(l.trim()));
}

function lastLines(s: string, n: number): string {
  return s.trim().split('\n').slice(-n).join(' | ');
}

// ---------- compile check ----------

export interface CompileIssue {
  file: string;
  line: number;
  text: string;
}

export interface BuildCheckResult {
  ok: boolean;
  /** compiler error lines, quoted (`file:line:col: error: …`) */
  errors: string[];
  /** warnings in the touched files (compare with the unpatched tree before blaming the patch) */
  warnings: string[];
  /** objects compiled */
  objects: string[];
  /** touched files this configuration does not build (their directory or option is off) */
  notBuilt: string[];
  /** touched files that are not compiled on their own (headers…) */
  skipped: string[];
  timedOut: boolean;
  seconds: number;
}

const ERROR_LINE = /^(\S+?):(\d+):(?:\d+:)? (?:fatal )?error: .*/;
const WARNING_LINE = /^(\S+?):(\d+):(?:\d+:)? warning: .*/;

/** Compiler error and warning lines, with paths made relative to the tree (O= builds print ../src/… paths). */
export function parseCompilerOutput(output: string, srcDir: string): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const prefix = resolve(srcDir) + '/';
  for (const raw of output.split('\n')) {
    const line = raw.replace(prefix, '').trimEnd();
    if (ERROR_LINE.test(line) && !errors.includes(line)) errors.push(line);
    else if (WARNING_LINE.test(line) && !warnings.includes(line)) warnings.push(line);
  }
  return { errors, warnings };
}

export async function buildCheck(tree: BuildTree, files: string[], timeoutSec: number): Promise<BuildCheckResult> {
  const started = Date.now();
  const cFiles = files.filter((f) => /\.c$/.test(f));
  const skipped = files.filter((f) => !/\.c$/.test(f));
  for (const f of cFiles) {
    if (isAbsolute(f) || f.split('/').includes('..') || !/^[A-Za-z0-9_./+-]+$/.test(f)) throw new StablebotError('bad-input', `bad file path in patch: ${f}`);
  }
  const objects = cFiles.map((f) => f.replace(/\.c$/, '.o'));
  if (!objects.length) return { ok: true, errors: [], warnings: [], objects, notBuilt: [], skipped, timedOut: false, seconds: 0 };
  // -k: one run reports the errors of every touched file
  const r = await make(tree, ['-k', `-j${tree.jobs}`, ...objects], timeoutSec);
  const { errors, warnings } = parseCompilerOutput(r.output, tree.srcDir);
  const notBuilt = objects.filter((o) => r.output.includes(`No rule to make target '${o}'`)).map((o) => o.replace(/\.o$/, '.c'));
  const touched = (l: string) => cFiles.some((f) => l.startsWith(f + ':'));
  const timedOutError = r.timedOut ? [`build check timed out after ${timeoutSec} s`] : [];
  const otherFailure = r.code !== 0 && !errors.length && !r.timedOut && notBuilt.length < objects.length ? [`make failed: ${lastLines(r.output, 3)}`] : [];
  const allErrors = [...errors, ...timedOutError, ...otherFailure];
  return {
    ok: allErrors.length === 0,
    errors: allErrors,
    warnings: warnings.filter(touched),
    objects: objects.filter((o) => !notBuilt.includes(o.replace(/\.o$/, '.c'))),
    notBuilt,
    skipped,
    timedOut: r.timedOut,
    seconds: (Date.now() - started) / 1000,
  };
}

// ---------- full build ----------

export interface KernelBuildResult {
  ok: boolean;
  image: string;
  errors: string[];
  timedOut: boolean;
  seconds: number;
}

export async function buildKernel(tree: BuildTree, timeoutSec: number): Promise<KernelBuildResult> {
  const r = await make(tree, [`-j${tree.jobs}`, 'bzImage', 'modules'], timeoutSec);
  const { errors } = parseCompilerOutput(r.output, tree.srcDir);
  const ok = r.code === 0 && !r.timedOut;
  return {
    ok,
    image: join(tree.outDir, 'arch/x86/boot/bzImage'),
    errors: ok ? [] : errors.length ? errors : [r.timedOut ? `kernel build timed out after ${timeoutSec} s` : `make failed: ${lastLines(r.output, 3)}`],
    timedOut: r.timedOut,
    seconds: r.seconds,
  };
}

/** kpinj.ko built against this build directory (kept inside it, so it follows the kernel it was built for). */
export async function buildInjector(tree: BuildTree, timeoutSec: number): Promise<string> {
  const dir = join(tree.outDir, 'stablebot-kpinj');
  mkdirSync(dir, { recursive: true });
  for (const f of ['kpinj.c', 'Makefile']) {
    const dst = join(dir, f);
    // copy only on change: a fresh time stamp would rebuild the module every run
    if (!existsSync(dst) || !readFileSync(dst).equals(readFileSync(join(KERNEL_DIR, f)))) copyFileSync(join(KERNEL_DIR, f), dst);
  }
  const r = await runLimited('make', ['-C', tree.outDir, `M=${dir}`, 'modules'], { timeoutSec });
  const ko = join(dir, 'kpinj.ko');
  if (r.code !== 0 || !existsSync(ko)) throw new StablebotError('bad-config', `building kpinj.ko failed: ${lastLines(r.output, 4)}`);
  return ko;
}
