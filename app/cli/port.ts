/**
 * `stablebot port --patch <file> --tree <dir> [--upstream-tree <dir>] [--json]`: the content-level engine on a plain
 * directory. --upstream-tree is upstream's tree before the change (the fix's parent): with it, names the target
 * lacks are told apart into prerequisites (refused) and names the change itself introduces.
 * Exit 0 applied (clean or adapted), 3 refused (tree untouched), 2 bad input (one line on stderr, tree untouched).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { portPatch } from '../apply/engine.ts';
import { parseUnifiedDiff } from '../apply/parse.ts';
import { DirTree } from '../apply/tree-dir.ts';
import type { PortResult } from '../apply/types.ts';
import { StablebotError, isStablebotError } from '../core/errors.ts';

export interface PortIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: PortIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export interface PortArgs {
  patch: string;
  tree: string;
  upstreamTree?: string;
  json?: boolean;
}

export function registerPort(program: Command): void {
  program
    .command('port')
    .description('apply an upstream fix to a plain source tree, adapting it by rules/*.yml or refusing with the reason')
    .requiredOption('--patch <file>', 'a unified diff (-p1, a/ b/ prefixes)')
    .requiredOption('--tree <dir>', 'the target source tree (modified only on success)')
    .option('--upstream-tree <dir>', "upstream's tree before the change (read only), to judge names the target lacks")
    .option('--json', 'print the result as JSON')
    .action(async (opts: PortArgs) => {
      process.exitCode = await runPort(opts);
    });
}

/** The command itself, returning the exit status (tests call it directly or through commander). */
export async function runPort(args: PortArgs, io: PortIo = processIo): Promise<number> {
  try {
    const { files, dir, upstreamDir } = readInputs(args);
    const result = await portPatch(files, new DirTree(dir), upstreamDir ? { upstreamTree: new DirTree(upstreamDir) } : {});
    if (result.outcome === 'refused') {
      const r = result.refusal!;
      if (args.json) io.out(JSON.stringify({ outcome: 'refused', check: r.check, reason: r.reason, file: r.file, hunk: r.hunk }, null, 2) + '\n');
      else io.out(`refused (${r.check}): ${r.reason}\n`);
      return 3;
    }
    writeAll(dir, result.files);
    const rules = [...new Set(result.adaptations.map((a) => a.rule))];
    if (args.json) {
      io.out(
        JSON.stringify(
          { outcome: result.outcome, method: result.method, rules, files: result.files.map((f) => f.path), adaptations: result.adaptations.map(({ params, ...a }) => ({ ...a, params: withoutTemplate(params) })) },
          null,
          2,
        ) + '\n',
      );
    } else {
      io.out(`${result.outcome} (${result.method}): ${result.files.map((f) => f.path).join(', ')}\n`);
      for (const a of result.adaptations) io.out(`  [ ${a.note} ] (${a.rule})\n`);
    }
    return 0;
  } catch (e) {
    if (isStablebotError(e)) {
      io.err(`stablebot: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    throw e;
  }
}

function withoutTemplate(params: Record<string, string>): Record<string, string> {
  const { noteTemplate: _, ...rest } = params;
  return rest;
}

function readInputs(args: PortArgs) {
  if (!args.patch || !existsSync(args.patch) || !statSync(args.patch).isFile()) throw new StablebotError('bad-input', `no such patch file: ${args.patch}`);
  if (!args.tree || !existsSync(args.tree) || !statSync(args.tree).isDirectory()) throw new StablebotError('bad-input', `no such tree directory: ${args.tree}`);
  if (args.upstreamTree !== undefined && (!existsSync(args.upstreamTree) || !statSync(args.upstreamTree).isDirectory())) {
    throw new StablebotError('bad-input', `no such upstream tree directory: ${args.upstreamTree}`);
  }
  const files = parseUnifiedDiff(readFileSync(args.patch, 'utf8'));
  return { files, dir: resolve(args.tree), upstreamDir: args.upstreamTree === undefined ? null : resolve(args.upstreamTree) };
}

/** Every path is checked before anything is written; contents go to temporary files first, then are renamed. */
function writeAll(dir: string, files: PortResult['files']): void {
  const targets = files.map((f) => {
    const abs = resolve(dir, f.path);
    if (!abs.startsWith(dir + sep)) throw new StablebotError('bad-input', `patch path escapes the tree: ${f.path}`);
    return { abs, content: f.content };
  });
  const staged: { tmp: string; abs: string }[] = [];
  for (const t of targets) {
    if (t.content === null) continue;
    mkdirSync(dirname(t.abs), { recursive: true });
    const tmp = `${t.abs}.stablebot-${process.pid}`;
    writeFileSync(tmp, t.content);
    staged.push({ tmp, abs: t.abs });
  }
  for (const s of staged) renameSync(s.tmp, s.abs);
  for (const t of targets) if (t.content === null && existsSync(t.abs)) unlinkSync(t.abs);
}
