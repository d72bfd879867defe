/**
 * realdata benchmark: stablebot's content-level engine against git apply, patch --fuzz=2 and wiggle on real
 * stable backports (realbench: 6.12.y hunks ported to 6.1.y files, scored against what 6.1.y shipped).
 *
 *   npm run bench:realdata -- [--cases <dir>] [--kind identical|adapted|negative] [--limit N] [--no-baselines]
 *                             [--verbose] [--json <file>]
 *
 * Cases are built with /work/shared/bench/realbench/build.sh (W = parent of --cases) when missing. Each case's
 * target file is read over the full 6.1 tree it came from ($W/trees/<version>), so tree-wide checks see a kernel.
 * Nothing of the kernel is stored in the repository.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { portPatch } from '../../app/apply/engine.ts';
import { parseUnifiedDiff } from '../../app/apply/parse.ts';
import { DirTree } from '../../app/apply/tree-dir.ts';
import { registerPort } from '../../app/cli/port.ts';
import { OverlayTree } from './overlay.ts';

type Kind = 'identical' | 'adapted' | 'negative';
type Score = 'correct' | 'wrong' | 'refused';
interface Meta {
  id: string;
  file: string;
  kind: Kind;
  a_versions: string[];
  b_versions: string[];
}
interface Row {
  id: string;
  kind: Kind;
  tool: string;
  score: Score;
  ms: number;
  check?: string;
  detail?: string;
}

const BUILD = '/work/shared/bench/realbench/build.sh';
/**
 * A case is ONE hunk of a change, so names its sibling hunks define are missing from the target. With upstream's
 * tree before the change (the 6.12 tree the hunk was cut from; in the pipeline, the fix's parent commit) the engine
 * tells a name the change introduces from a prerequisite the target lacks. The row without it shows the engine
 * when only the target is known.
 */
const NO_UPSTREAM = 'stablebot, no upstream tree';

function args() {
  const p = new Command()
    .option('--cases <dir>', 'realbench cases directory', join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'realbench', 'cases'))
    .option('--kind <kind>', 'only this kind')
    .option('--limit <n>', 'only the first n cases', (v) => parseInt(v, 10))
    .option('--no-baselines', 'skip git apply / patch / wiggle')
    .option('--cli-sample <n>', 'cases also run through the port CLI to prove it agrees', (v) => parseInt(v, 10), 12)
    .option('--verbose', 'list stablebot wrong answers and refusal checks')
    .option('--check-precision', 'rerun the cases the safety checks refused with the checks off: how many of those refusals prevented a wrong answer')
    .option('--json <file>', 'write per-case rows as JSON');
  p.parse(process.argv.filter((a) => a !== '--'));
  return p.opts<{ cases: string; kind?: Kind; limit?: number; baselines: boolean; cliSample: number; verbose?: boolean; json?: string; checkPrecision?: boolean }>();
}

function ensureCases(casesDir: string): void {
  if (existsSync(casesDir) && readdirSync(casesDir).length) return;
  const W = dirname(resolve(casesDir));
  console.error(`[bench] building realbench cases in ${W} (about 4 minutes, 1 GB)`);
  const r = spawnSync('bash', [BUILD], { env: { ...process.env, W }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`build.sh failed (${r.status})`);
}

function runTool(tool: string, caseDir: string, meta: Meta): { ok: boolean; content: string | null; ms: number } {
  const wd = mkdtempSync(join(tmpdir(), 'realdata-'));
  try {
    const f = join(wd, meta.file);
    mkdirSync(dirname(f), { recursive: true });
    cpSync(join(caseDir, 'target', meta.file), f);
    const patch = resolve(caseDir, 'input.patch');
    const env = { ...process.env, GIT_CEILING_DIRECTORIES: wd, LC_ALL: 'C' };
    let cmd: string[];
    if (tool === 'git apply') {
      spawnSync('git', ['init', '-q'], { cwd: wd, env });
      cmd = ['git', 'apply', patch];
    } else if (tool === 'patch --fuzz=2') cmd = ['patch', '-p1', '--fuzz=2', '-N', '--batch', '--no-backup-if-mismatch', '-r', '-', '-i', patch];
    else cmd = ['wiggle', '--replace', meta.file, patch];
    const t0 = performance.now();
    const r = spawnSync(cmd[0], cmd.slice(1), { cwd: wd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    const ms = performance.now() - t0;
    return { ok: r.status === 0, content: readFileSync(f, 'utf8'), ms };
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
}

function score(kind: Kind, ok: boolean, content: string | null, expected: string | null): Score {
  if (kind === 'negative') return ok ? 'wrong' : 'correct';
  if (!ok) return 'refused';
  return content === expected ? 'correct' : 'wrong';
}

async function main() {
  const o = args();
  const casesDir = resolve(o.cases);
  ensureCases(casesDir);
  const W = dirname(casesDir);
  const trees = new Map<string, DirTree>();
  const baseTree = (v: string): DirTree | null => {
    const dir = join(W, 'trees', v);
    if (!existsSync(dir)) return null;
    if (!trees.has(v)) trees.set(v, new DirTree(dir, { wordIndex: true }));
    return trees.get(v)!;
  };
  let ids = readdirSync(casesDir).sort();
  const metas = new Map(ids.map((id) => [id, JSON.parse(readFileSync(join(casesDir, id, 'meta.json'), 'utf8')) as Meta]));
  if (o.kind) ids = ids.filter((id) => metas.get(id)!.kind === o.kind);
  if (o.limit) ids = ids.slice(0, o.limit);
  const haveWiggle = spawnSync('wiggle', ['--version']).status === 0;
  const tools = o.baselines ? ['git apply', 'patch --fuzz=2', ...(haveWiggle ? ['wiggle --replace'] : [])] : [];

  // index build is a one-off per tree: do it before timing cases
  for (const v of new Set(ids.flatMap((id) => [metas.get(id)!.b_versions[0], metas.get(id)!.a_versions[0]]))) {
    const t = baseTree(v);
    if (t) {
      await t.wordIndex();
      await t.listFiles();
      console.error(`[bench] identifier index of ${v}: ${t.indexMs} ms`);
    }
  }

  /** One case as the engine sees it: its file over the 6.1 tree, upstream's tree, the expected text; the patch is
   * parsed by the caller, inside its timing. */
  const caseOf = (id: string) => {
    const caseDir = join(casesDir, id);
    const meta = metas.get(id)!;
    const expectedPath = join(caseDir, 'expected', meta.file);
    return {
      caseDir,
      meta,
      expected: existsSync(expectedPath) ? readFileSync(expectedPath, 'utf8') : null,
      tree: new OverlayTree(new DirTree(join(caseDir, 'target')), baseTree(meta.b_versions[0])),
      upstreamTree: baseTree(meta.a_versions[0]) ?? undefined,
      patch: () => parseUnifiedDiff(readFileSync(join(caseDir, 'input.patch'), 'utf8')),
    };
  };

  const rows: Row[] = [];
  for (const [n, id] of ids.entries()) {
    const { caseDir, meta, expected, tree, upstreamTree, patch } = caseOf(id);
    for (const [tool, withUpstream] of [['stablebot', true], [NO_UPSTREAM, false]] as const) {
      const t0 = performance.now();
      const files = patch();
      const r = await portPatch(files, tree, withUpstream ? { upstreamTree } : {});
      const ms = performance.now() - t0;
      const ok = r.outcome !== 'refused';
      const content = ok ? (r.files.find((f) => f.path === meta.file)?.content ?? null) : null;
      rows.push({
        id,
        kind: meta.kind,
        tool,
        score: score(meta.kind, ok, content, expected),
        ms,
        check: r.refusal?.check ?? (r.adaptations.map((a) => a.rule).join('+') || r.method || undefined),
        detail: r.refusal?.reason,
      });
    }
    for (const t of tools) {
      const b = runTool(t, caseDir, meta);
      rows.push({ id, kind: meta.kind, tool: t, score: score(meta.kind, b.ok, b.content, expected), ms: b.ms });
    }
    if ((n + 1) % 100 === 0) console.error(`[bench] ${n + 1}/${ids.length}`);
  }

  const agree = await cliAgreement(ids.slice(0, o.cliSample), casesDir, metas);
  printTable(rows, ['stablebot', NO_UPSTREAM, ...tools]);
  console.log(`\nport CLI vs in-process engine on ${agree.total} cases (tree = the case's target dir only): ${agree.same} agree${agree.diff.length ? `; differ: ${agree.diff.join(', ')}` : ''}`);
  if (o.verbose) printDetails(rows);
  if (o.checkPrecision) {
    // a refusal that disappears with the checks off was made by a check: what would it have let through?
    const tally = new Map<string, { wrong: number; correct: number }>();
    for (const row of rows.filter((r) => r.tool === 'stablebot' && r.score === 'refused')) {
      const { meta, expected, tree, upstreamTree, patch } = caseOf(row.id);
      const r = await portPatch(patch(), tree, { upstreamTree, checks: false });
      if (r.outcome === 'refused') continue;
      const s = score(meta.kind, true, r.files.find((f) => f.path === meta.file)?.content ?? null, expected);
      const t = tally.get(row.check ?? '?') ?? { wrong: 0, correct: 0 };
      if (s === 'wrong') t.wrong++;
      else t.correct++;
      tally.set(row.check ?? '?', t);
    }
    const all = [...tally.values()].reduce((a, t) => ({ wrong: a.wrong + t.wrong, correct: a.correct + t.correct }), { wrong: 0, correct: 0 });
    console.log(`\nsafety checks: ${all.wrong + all.correct} refusals made by a check; with the checks off they would have been ${all.wrong} wrong, ${all.correct} correct`);
    for (const [check, t] of [...tally].sort((a, b) => b[1].wrong + b[1].correct - (a[1].wrong + a[1].correct))) console.log(`  ${check}: ${t.wrong} wrong, ${t.correct} correct`);
  }
  if (o.json) writeFileSync(o.json, JSON.stringify(rows, null, 1));
}

/** Runs `port` through commander on copies of case dirs and compares with portPatch on the same directory. */
async function cliAgreement(ids: string[], casesDir: string, metas: Map<string, Meta>) {
  let same = 0;
  const diff: string[] = [];
  for (const id of ids) {
    const meta = metas.get(id)!;
    const caseDir = join(casesDir, id);
    const wd = mkdtempSync(join(tmpdir(), 'realdata-cli-'));
    try {
      cpSync(join(caseDir, 'target'), wd, { recursive: true });
      const files = parseUnifiedDiff(readFileSync(join(caseDir, 'input.patch'), 'utf8'));
      const inProc = await portPatch(files, new DirTree(wd));
      const program = new Command().exitOverride();
      registerPort(program);
      const saved = process.stdout.write.bind(process.stdout);
      let out = '';
      process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
      process.exitCode = undefined;
      try {
        await program.parseAsync(['node', 'stablebot', 'port', '--patch', join(caseDir, 'input.patch'), '--tree', wd, '--json']);
      } finally {
        process.stdout.write = saved;
      }
      const code = process.exitCode ?? 0;
      process.exitCode = undefined;
      const cliOutcome = JSON.parse(out).outcome as string;
      const content = existsSync(join(wd, meta.file)) ? readFileSync(join(wd, meta.file), 'utf8') : null;
      const expectCode = inProc.outcome === 'refused' ? 3 : 0;
      const sameContent = inProc.outcome === 'refused' ? content === readFileSync(join(caseDir, 'target', meta.file), 'utf8') : content === inProc.files[0]?.content;
      if (code === expectCode && cliOutcome === inProc.outcome && sameContent) same++;
      else diff.push(id);
    } finally {
      rmSync(wd, { recursive: true, force: true });
    }
  }
  return { total: ids.length, same, diff };
}

function pct(n: number, d: number): string {
  return d ? (Math.round((1000 * n) / d) / 10).toString() : '-';
}

function printTable(rows: Row[], tools: string[]) {
  const kinds: (Kind | 'all')[] = ['identical', 'adapted', 'negative', 'all'];
  const counts = (tool: string, kind: Kind | 'all') => {
    const rs = rows.filter((r) => r.tool === tool && (kind === 'all' || r.kind === kind));
    const c = (s: Score) => rs.filter((r) => r.score === s).length;
    // a negative's correct answer IS a refusal: shown as refused, like the realbench README
    if (kind === 'negative') return `${pct(c('correct'), rs.length)} refused / ${pct(c('wrong'), rs.length)} wrong`;
    return `${pct(c('correct'), rs.length)} / ${pct(c('wrong'), rs.length)} / ${pct(c('refused'), rs.length)}`;
  };
  const n = (k: Kind | 'all') => rows.filter((r) => r.tool === tools[0] && (k === 'all' || r.kind === k)).length;
  console.log('\ncorrect / wrong / refused (%), realbench cases');
  console.log(`| tool | ${kinds.map((k) => `${k} (${n(k)})`).join(' | ')} | median ms |`);
  console.log(`|---|${kinds.map(() => '---').join('|')}|---|`);
  for (const t of tools) {
    const ms = rows.filter((r) => r.tool === t).map((r) => r.ms).sort((a, b) => a - b);
    const med = ms.length ? ms[Math.floor(ms.length / 2)].toFixed(1) : '-';
    console.log(`| ${t} | ${kinds.map((k) => counts(t, k)).join(' | ')} | ${med} |`);
  }
  const all = rows.filter((r) => r.tool === 'stablebot');
  const p90 = all.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(all.length * 0.9)] ?? 0;
  console.log(`stablebot p90 ms per case: ${p90.toFixed(1)}`);
  printTargets(rows);
}

/** The issue's targets for the headline row, each with the measured figure and whether it is met. */
function printTargets(rows: Row[]) {
  const share = (kind: Kind | 'all', score: Score) => {
    const rs = rows.filter((r) => r.tool === 'stablebot' && (kind === 'all' || r.kind === kind));
    return rs.length ? (100 * rs.filter((r) => r.score === score).length) / rs.length : NaN;
  };
  const ms = rows.filter((r) => r.tool === 'stablebot').map((r) => r.ms).sort((a, b) => a - b);
  const median = ms.length ? ms[Math.floor(ms.length / 2)] : NaN;
  const targets: [string, number, (v: number) => boolean][] = [
    ['identical correct >= 99.5%', share('identical', 'correct'), (v) => v >= 99.5],
    ['negative refused >= 99%', share('negative', 'correct'), (v) => v >= 99],
    ['adapted correct >= 20%', share('adapted', 'correct'), (v) => v >= 20],
    ['adapted wrong <= 15%', share('adapted', 'wrong'), (v) => v <= 15],
    ['overall wrong <= 4%', share('all', 'wrong'), (v) => v <= 4],
    ['median time < 300 ms', median, (v) => v < 300],
  ];
  console.log('\ntargets (stablebot, with upstream tree):');
  for (const [name, v, ok] of targets) if (!Number.isNaN(v)) console.log(`  ${ok(v) ? 'met    ' : 'MISSED '} ${name}: ${v.toFixed(1)}`);
}

function printDetails(rows: Row[]) {
  const sb = rows.filter((r) => r.tool === 'stablebot');
  const hist = new Map<string, number>();
  for (const r of sb) {
    const k = `${r.kind} ${r.score} ${r.check ?? ''}`;
    hist.set(k, (hist.get(k) ?? 0) + 1);
  }
  console.log('\nstablebot outcomes by kind / score / check-or-rule:');
  for (const [k, v] of [...hist.entries()].sort()) console.log(`  ${v}\t${k}`);
  console.log('\nstablebot wrong answers:');
  for (const r of sb.filter((x) => x.score === 'wrong')) console.log(`  ${r.id} ${r.kind} ${r.check ?? ''}`);
  console.log('\nstablebot refusals of identical cases:');
  for (const r of sb.filter((x) => x.kind === 'identical' && x.score === 'refused')) console.log(`  ${r.id} ${r.check}: ${r.detail}`);
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
