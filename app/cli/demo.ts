import type { Command } from 'commander';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMirror } from '../../fixtures/mirror/build.ts';
import { backport } from '../pipeline/backport.ts';
import { renderReport, reportJson } from '../report/backport.ts';
import { printJson } from './io.ts';

const SEED = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/seed/autosel-6.19-blk-rq-dma-map-iova.txt');

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build the fixture kernel mirror and backport the seed AUTOSEL mail (as given, whitespace-damaged) to its stable branches')
    .option('--dir <path>', 'build the mirror here and keep it (default: a temporary directory)')
    .option('--json', 'print JSON')
    .action(async (o: { dir?: string; json?: boolean }) => {
      const dir = o.dir ? resolve(o.dir) : mkdtempSync(join(tmpdir(), 'stablebot-demo-'));
      const started = Date.now();
      await buildMirror(dir);
      const report = await backport({ repoDir: dir, input: { kind: 'mail', text: readFileSync(SEED, 'utf8') } });
      if (o.json) {
        printJson({ mirror: dir, ...(reportJson(report) as object) });
        return;
      }
      process.stdout.write(renderReport(report) + '\n');
      const made = report.results.filter((r) => r.backportBranch);
      process.stdout.write(`\nMirror: ${dir}\n`);
      for (const r of made) process.stdout.write(`  ${r.branch}: git -C ${dir} show ${r.backportBranch}\n`);
      process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    });
}
