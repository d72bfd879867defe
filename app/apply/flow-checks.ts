/**
 * Checks on how the added lines leave a function and what they hold, judged on the target's own function (after
 * the patch). Both catch the common shape of a fix written for a newer tree whose function was converted to
 * scope-based cleanup (`guard()`, `__free`) by the change itself or before it:
 *   return-skips-cleanup  an added `return` sits after an exit of the function that jumps (`goto L`) to a cleanup
 *                         label placed after it, which releases something (unlock, put, free): on the target the
 *                         return would skip that cleanup
 *   lock-balance          the hunk adds or removes a lock or unlock call on some lock, and the function, which took
 *                         and released that lock before the patch, would afterwards only take it or only release it
 */
import type { HunkLine } from '../core/patch.ts';
import { codeLines, enclosingFunctionStart, gotoTargets } from './c-syntax.ts';
import type { Refusal } from './types.ts';

type Where = Pick<Refusal, 'file' | 'hunk' | 'targetExcerpt'>;

/** a call that gives something back: unlocks, puts, frees, releases */
const RELEASE = /\b(?:\w*unlock\w*|\w*_put\w*|put_\w+|\w*free\w*|\w*release\w*|\w*destroy\w*|up_read|up_write|up)\s*\(/;

/** Index of the line closing the function that contains `index` (a `}` in column 0), or the file's end. */
function functionEnd(lines: string[], index: number): number {
  for (let i = Math.max(0, index); i < lines.length; i++) if (/^}/.test(lines[i])) return i;
  return lines.length;
}

/**
 * @param lines the file after the patch
 * @param post  the hunk's post-image lines as placed, starting at `start` in `lines`
 */
export function returnSkipsCleanup(lines: string[], post: HunkLine[], start: number, where: Where): Refusal | null {
  const addedAt = post.flatMap((l, i) => (l.op === '+' ? [start + i] : []));
  if (!addedAt.length) return null;
  const code = codeLines(lines.slice(0, functionEnd(lines, addedAt[addedAt.length - 1]) + 1));
  const added = addedAt.map((i) => code[i] ?? '');
  if (added.some((c) => /\bgoto\b/.test(c))) return null;
  const ret = addedAt.find((i) => /\breturn\b/.test(code[i] ?? ''));
  if (ret === undefined) return null;
  const fn = enclosingFunctionStart(lines, ret + 1);
  if (fn < 0) return null;
  const end = functionEnd(lines, ret);
  const labels = new Set(gotoTargets(code.slice(fn, ret)));
  for (const label of labels) {
    const at = code.slice(ret + 1, end).findIndex((c) => new RegExp(`^\\s*${label}\\s*:(?!:)`).test(c));
    if (at < 0) continue;
    const from = ret + 1 + at;
    let to = from + 1;
    while (to < end && !/\breturn\b/.test(code[to])) to++;
    const releases = code.slice(from, Math.min(to + 1, end)).find((c) => RELEASE.test(c));
    if (!releases) continue;
    return {
      check: 'return-skips-cleanup',
      reason: `the added \`return\` leaves the function without the cleanup at \`${label}:\` (${releases.trim()}) that earlier exits of this function on the target go through`,
      ...where,
    };
  }
  return null;
}

const LOCK_CALL = /\b((?:raw_)?(?:spin|mutex|read|write|rt_mutex)_(?:un)?lock(?:_irqsave|_irqrestore|_irq|_bh|_interruptible|_killable|_nested)?|down_read|down_write|up_read|up_write)\s*\(\s*([^,)]+)/g;

interface LockUse {
  key: string;
  release: boolean;
}

function lockUses(code: string): LockUse[] {
  return [...code.matchAll(LOCK_CALL)].map((m) => ({ key: m[2].replace(/\s+/g, '').replace(/^&/, ''), release: /unlock|^up_/.test(m[1]) }));
}

/** Does the function (code lines) take the lock `key` by scope (`guard(...)(&key)`, `scoped_guard(..., &key)`)? */
function scoped(code: string[], key: string): boolean {
  const k = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return code.some((c) => new RegExp(`\\b(?:scoped_)?guard\\s*\\([^;]*&\\s*${k.replace(/->/g, '\\s*->\\s*')}\\b`).test(c.replace(/\s+/g, '')));
}

function counts(code: string[], key: string) {
  let take = 0;
  let release = 0;
  for (const c of code) for (const u of lockUses(c)) if (u.key === key) u.release ? release++ : take++;
  return { take, release };
}

/** The code lines of the function whose heading is `heading`, nearest to `near` in `lines`; null when not found. */
function functionNamed(lines: string[], heading: string, near: number): string[] | null {
  let best = -1;
  for (let i = 0; i < lines.length; i++) if (lines[i] === heading && (best < 0 || Math.abs(i - near) < Math.abs(best - near))) best = i;
  if (best < 0) return null;
  return codeLines(lines.slice(best, functionEnd(lines, best + 1) + 1));
}

/**
 * @param before the target file before the patch, the hunk's pre-image placed at `start`
 * @param after  the file after the patch, the hunk's post-image at `newStart`
 */
export function lockBalance(before: string[], after: string[], placed: HunkLine[], start: number, newStart: number, where: Where, upstream?: UpstreamSide): Refusal | null {
  const touched: { key: string; heading: string }[] = [];
  const code = codeLines(placed.map((l) => l.text));
  let t = start;
  let n = newStart;
  for (const [i, l] of placed.entries()) {
    if (l.op !== ' ') {
      const uses = lockUses(code[i]);
      const lines = l.op === '-' ? before : after;
      const fn = enclosingFunctionStart(lines, (l.op === '-' ? t : n) + 1);
      if (fn >= 0) for (const u of uses) touched.push({ key: u.key, heading: lines[fn] });
    }
    if (l.op !== '+') t++;
    if (l.op !== '-') n++;
  }
  const seen = new Set<string>();
  for (const { key, heading } of touched) {
    if (seen.has(`${heading}\0${key}`)) continue;
    seen.add(`${heading}\0${key}`);
    const pre = functionNamed(before, heading, start);
    const post = functionNamed(after, heading, newStart);
    if (!pre || !post) continue;
    const a = counts(pre, key);
    const b = counts(post, key);
    if (!a.take || !a.release) continue;
    if ((b.take > 0) === (b.release > 0) || scoped(post, key)) continue;
    // upstream's own function is left just as unbalanced by this hunk: another hunk of the change (a guard()
    // replacing the lock) restores it, the change's business like a name it introduces
    if (upstream && upstreamUnbalanced(upstream, heading, key)) continue;
    const what = b.take ? 'takes' : 'releases';
    return {
      check: 'lock-balance',
      reason: `after the hunk, \`${heading.trim()}\` only ${what} \`${key}\` on the target (before, it took and released it): upstream's locking differs here`,
      ...where,
    };
  }
  return null;
}

/** Upstream's file before the change, and the hunk as upstream wrote it (its own line numbers). */
export interface UpstreamSide {
  lines: string[];
  hunk: { oldStart: number; lines: HunkLine[] };
}

/** Does the hunk, applied to upstream's own file, leave `key` taken-only or released-only in that function? */
function upstreamUnbalanced(up: UpstreamSide, heading: string, key: string): boolean {
  const pre = up.hunk.lines.filter((l) => l.op !== '+').map((l) => l.text);
  const at = Math.max(0, up.hunk.oldStart - 1);
  if (up.lines.slice(at, at + pre.length).join('\n') !== pre.join('\n')) return false;
  const after = [...up.lines.slice(0, at), ...up.hunk.lines.filter((l) => l.op !== '-').map((l) => l.text), ...up.lines.slice(at + pre.length)];
  const fn = functionNamed(after, heading, at);
  if (!fn) return false;
  const c = counts(fn, key);
  return (c.take > 0) !== (c.release > 0) && !scoped(fn, key);
}
