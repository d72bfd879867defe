import type { Command } from 'commander';
import { analyze } from '../pipeline/backport.ts';
import { provenanceJson, renderProvenance } from '../report/provenance.ts';
import { inputsFromArgument, printJson } from './io.ts';

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('which stable branches carry the buggy code of an upstream fix, with evidence')
    .argument('<sha|mbox-file>', 'upstream commit in the repository, or a mail / mbox file')
    .requiredOption('--repo <path>', 'the kernel repository (mainline + stable branches)')
    .option('--branches <list|glob>', 'stable branches, comma-separated names or globs', 'linux-*.y')
    .option('--upstream <branch>', 'the mainline branch', 'master')
    .option('--json', 'print JSON')
    .action(async (arg: string, o: { repo: string; branches: string; upstream: string; json?: boolean }) => {
      const results = [];
      for (const input of inputsFromArgument(arg)) {
        results.push(await analyze({ repoDir: o.repo, input, branches: [o.branches], upstreamBranch: o.upstream }));
      }
      if (o.json) printJson(results.length === 1 ? provenanceJson(results[0]) : results.map(provenanceJson));
      else process.stdout.write(results.map((r) => renderProvenance(r)).join('\n\n---\n\n') + '\n');
    });
}
