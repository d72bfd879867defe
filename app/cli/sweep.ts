import type { Command } from 'commander';
import { StablebotError } from '../core/errors.ts';
import { renderSweepText } from '../sweep/render.ts';
import { DEFAULT_THRESHOLD, runSweep } from '../sweep/run.ts';
import type { SweepProgress } from '../sweep/types.ts';
import { printJson } from './io.ts';

/** A one-line progress bar on a terminal, a plain line every 10% otherwise (logs, CI). */
function progressReporter(stream: NodeJS.WriteStream): { report(p: SweepProgress): void; end(): void } {
  let lastDecile = -1;
  let drawn = false;
  return {
    report(p) {
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round((p.done / Math.max(1, p.total)) * width);
        const label = p.subject.length > 50 ? p.subject.slice(0, 49) + '…' : p.subject;
        stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${p.done}/${p.total} ${p.sha.slice(0, 12)} ${label}\x1b[K`);
        drawn = true;
      } else {
        const decile = Math.floor((p.done / Math.max(1, p.total)) * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          stream.write(`sweep: ${p.done}/${p.total} commits\n`);
        }
      }
    },
    end() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('select stable candidates among new upstream commits: tagged, AUTOSEL-style, excluded (with reasons)')
    .requiredOption('--repo <path>', 'the kernel repository (mainline + stable branches)')
    .option('--since <ref>', 'sweep after this commit instead of the stored cursor')
    .option('--branches <list|glob>', 'stable branches, comma-separated names or globs', 'linux-*.y')
    .option('--upstream <branch>', 'the mainline branch', 'master')
    .option('--threshold <n>', 'AUTOSEL score a fix needs', String(DEFAULT_THRESHOLD))
    .option('--mbox <file...>', 'AUTOSEL mbox files: their mails select the commits they carry')
    .option('--json', 'print JSON')
    .action(async (o: { repo: string; since?: string; branches: string; upstream: string; threshold: string; mbox?: string[]; json?: boolean }) => {
      const threshold = Number(o.threshold);
      if (!Number.isFinite(threshold)) throw new StablebotError('bad-input', `--threshold is not a number: ${JSON.stringify(o.threshold)}`);
      const progress = progressReporter(process.stderr);
      const result = await runSweep({
        repoDir: o.repo,
        since: o.since,
        branches: [o.branches],
        upstream: o.upstream,
        threshold,
        mboxFiles: o.mbox,
        onProgress: (p) => progress.report(p),
      });
      progress.end();
      if (o.json) printJson(result);
      else process.stdout.write(renderSweepText(result));
    });
}
