import { existsSync, readFileSync, statSync } from 'node:fs';
import { StablebotError } from '../core/errors.ts';
import type { PipelineInput } from '../pipeline/backport.ts';
import { parseMbox } from '../intake/mail.ts';

/** `<sha | mbox-file>`: an existing file is a mail (one input per message); anything else is a revision. */
export function inputsFromArgument(arg: string): PipelineInput[] {
  if (existsSync(arg) && statSync(arg).isFile()) {
    const text = readFileSync(arg, 'utf8');
    const count = parseMbox(text).length;
    if (count === 0) throw new StablebotError('malformed-mail', `${arg}: no patch mail found`);
    return Array.from({ length: count }, (_, index) => ({ kind: 'mail' as const, text, index }));
  }
  if (!/^[0-9a-f]{7,40}$/i.test(arg) && !/^[A-Za-z0-9][A-Za-z0-9._\/-]{0,200}$/.test(arg)) {
    throw new StablebotError('bad-input', `neither a file nor a commit: ${JSON.stringify(arg)}`);
  }
  return [{ kind: 'commit', rev: arg }];
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
