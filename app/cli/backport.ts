import type { Command } from 'commander';
import { backport } from '../pipeline/backport.ts';
import { renderReport, reportJson } from '../report/backport.ts';
import { inputsFromArgument, printJson } from './io.ts';

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
    .option('--json', 'print JSON')
    .action(async (arg: string, o: { repo: string; to?: string[]; branches: string; upstream: string; dryRun?: boolean; json?: boolean }) => {
      const reports = [];
      for (const input of inputsFromArgument(arg)) {
        reports.push(await backport({ repoDir: o.repo, input, branches: [o.branches], onlyBranches: o.to, upstreamBranch: o.upstream, dryRun: o.dryRun }));
      }
      if (o.json) printJson(reports.length === 1 ? reportJson(reports[0]) : reports.map(reportJson));
      else process.stdout.write(reports.map(renderReport).join('\n\n---\n\n') + '\n');
      if (reports.some((r) => r.results.some((x) => x.outcome === 'needs-human'))) process.exitCode = 3;
    });
}
