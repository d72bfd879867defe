import { Command, CommanderError } from 'commander';
import { isStablebotError } from '../core/errors.ts';
import { registerAnalyze } from './analyze.ts';
import { registerBackport } from './backport.ts';
import { registerDemo } from './demo.ts';
import { registerPort } from './port.ts';
import { registerSweep } from './sweep.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('stablebot')
    .description('Backport Linux kernel fixes to stable branches, with evidence')
    .exitOverride()
    .showHelpAfterError(false);
  registerAnalyze(program);
  registerBackport(program);
  registerDemo(program);
  registerPort(program);
  registerSweep(program);
  return program;
}

/** Runs the CLI; returns the exit status: 0 ok, 2 bad input (one line on stderr), 3 needs a human (port), 1 bug. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isStablebotError(e)) {
      process.stderr.write(`stablebot: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`stablebot: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
