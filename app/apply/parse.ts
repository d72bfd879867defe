/**
 * A patch file given to `stablebot port` (-p1, `a/` `b/` prefixes, as `git diff` and `diff -u` write them) into
 * FilePatch[]. Parsing itself has one home, app/intake/diff.ts; here a damaged diff is bad input, not a mail to recover.
 */
import { StablebotError } from '../core/errors.ts';
import type { FilePatch } from '../core/patch.ts';
import { parseDiff } from '../intake/diff.ts';

export function parseUnifiedDiff(text: string): FilePatch[] {
  const { files, damage } = parseDiff(text.replace(/\r\n/g, '\n'));
  if (damage.damaged) throw new StablebotError('bad-input', `not a usable unified diff: ${damage.reasons.join('; ')}`);
  const changed = files.filter((f) => f.hunks.length || f.binary || f.oldPath !== f.newPath || f.headers.length);
  if (!changed.length) throw new StablebotError('bad-input', 'no file changes found in the patch');
  return changed;
}
