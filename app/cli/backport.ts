import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { StablebotError } from '../core/errors.ts';
import { backport } from '../pipeline/backport.ts';
import { verifyReport } from '../pipeline/verify.ts';
import { renderReport, reportJson } from '../report/backport.ts';
import { parseVerifyConfig, verifyConfigFromFlags, type VerifyConfig } from '../verify/index.ts';
import { inputsFromArgument, printJson } from './io.ts';

interface BackportFlags {
  repo: string;
  to?: string[];
  branches: string;
  upstream: string;
  dryRun?: boolean;
  json?: boolean;
  verify?: boolean;
  verifyConfig?: string;
  verifySrc?: string;
  kconfig?: string;
  fragment?: string;
  inject?: string[];
  qemuTimeout?: string;
}

/** `--verify-config` (a `verify:` section, as in .github/stablebot.yml, or the section alone) overridden by flags. */
function verifyConfig(o: BackportFlags): VerifyConfig {
  let base = parseVerifyConfig({});
  if (o.verifyConfig) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(o.verifyConfig, 'utf8'));
    } catch (e) {
      throw new StablebotError('bad-config', `${o.verifyConfig}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    const section = doc && typeof doc === 'object' && 'verify' in doc ? (doc as { verify: unknown }).verify : doc;
    base = parseVerifyConfig(section ?? {});
  }
  return verifyConfigFromFlags({ config: o.kconfig, fragment: o.fragment, inject: o.inject, qemuTimeout: o.qemuTimeout }, base);
}

export function registerBackport(program: Command): void {
  program
    .command('backport')
    .description('backport an upstream fix to every affected stable branch (branches stablebot/<branch>/<sha12>)')
    .argument('<sha|mbox-file>', 'upstream commit in the repository, or a mail / mbox file')
    .requiredOption('--repo <path>', 'the kernel repository (mainline + stable branches)')
    .option('--to <branch...>', 'backport only to these stable branches (names or globs); all branches are still analyzed')
    .option('--branches <list|glob>', 'stable branches to analyze', 'linux-*.y')
    .option('--upstream <branch>', 'the mainline branch', 'master')
    .option('--dry-run', 'report what would be done; create no branch')
    .option('--verify', 'build the touched objects and run the error-path test in QEMU (control: the unpatched kernel)')
    .option('--verify-config <file>', 'verify settings (the `verify:` section of .github/stablebot.yml)')
    .option('--verify-src <dir>', 'kernel checkout to build in (default: a kept worktree per branch)')
    .option('--kconfig <file>', 'verify: the .config to build with')
    .option('--fragment <file>', 'verify: a config fragment for make olddefconfig')
    .option('--inject <spec...>', 'verify: injection, e.g. dma_iova_link:-12,interval=2,times=100')
    .option('--qemu-timeout <seconds>', 'verify: time limit of one QEMU run')
    .option('--json', 'print JSON')
    .action(async (arg: string, o: BackportFlags) => {
      const config = o.verify ? verifyConfig(o) : null;
      const reports = [];
      for (const input of inputsFromArgument(arg)) {
        const report = await backport({ repoDir: o.repo, input, branches: [o.branches], onlyBranches: o.to, upstreamBranch: o.upstream, dryRun: o.dryRun });
        if (config && !o.dryRun) await verifyReport(report, { repoDir: o.repo, config, srcDir: o.verifySrc, log: (l) => process.stderr.write(`verify: ${l}\n`) });
        reports.push(report);
      }
      if (o.json) printJson(reports.length === 1 ? reportJson(reports[0]) : reports.map(reportJson));
      else process.stdout.write(reports.map(renderReport).join('\n\n---\n\n') + '\n');
      if (reports.some((r) => r.results.some((x) => x.outcome === 'needs-human'))) process.exitCode = 3;
    });
}
