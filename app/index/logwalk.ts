/**
 * One streaming `git log` pass that yields each commit's message and (optionally) its diff, and can feed the same
 * bytes to `git patch-id --stable` as they pass, so a branch's patch-ids cost one log walk, not one git per commit.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Git } from '../git/git.ts';
import { GitError } from '../git/git.ts';

/**
 * Diff options fixed on both sides of every patch-id comparison (branch walk and single commit), so user
 * configuration (diff.renames, diff.algorithm, external diff drivers) cannot make equal patches look different.
 */
export const DIFF_FLAGS = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '--diff-algorithm=myers'];

/**
 * `commit %H` first, as `git patch-id` expects; parents and author behind a word so that patch-id does not take a
 * bare 40-hex line for a new commit; the message indented like `git log`'s medium format, so a message line can
 * never look like a diff or a commit header.
 */
const FORMAT = '--format=commit %H%nparents %P%nauthor %an <%ae>%n%w(0,4,4)%B';

export interface WalkedCommit {
  sha: string;
  parents: string[];
  /** "Name <email>" */
  author: string;
  /** the full message, subject on the first line */
  message: string;
  /** paths the diff touches (post-image path; pre-image for deletions) */
  files: string[];
  /** lines inside hunks (context, removed and added): the stable rules' "lines with context" */
  hunkLines: number;
  /** the diff, when asked for and not longer than maxDiffLines */
  diff: string | null;
}

export interface WalkOptions {
  /** include diffs (needed for patch-ids, file lists and diff shape) */
  withDiff?: boolean;
  /** keep diff text only up to this many lines (default 600); counts are kept for longer ones */
  maxDiffLines?: number;
  /** also compute `git patch-id --stable` of every non-merge commit in the walk */
  patchIds?: boolean;
  /** oldest first */
  reverse?: boolean;
  /** `--topo-order`: no parent before all its children (with `reverse`: every parent before its children) */
  topoOrder?: boolean;
  onCommit(c: WalkedCommit): void;
}

const COMMIT_LINE = /^commit ([0-9a-f]{40})$/;
const DIFF_GIT = /^diff --git a\/(.*) b\/(.*)$/;

class CommitParser {
  private cur: { sha: string; parents: string[]; author: string; msg: string[]; diff: string[] | null; files: string[]; hunkLines: number; inDiff: boolean; header: number; kept: number } | null = null;
  constructor(
    private readonly keepDiff: boolean,
    private readonly maxDiffLines: number,
    private readonly emit: (c: WalkedCommit) => void,
  ) {}

  line(l: string): void {
    const m = COMMIT_LINE.exec(l);
    if (m) {
      this.flush();
      this.cur = { sha: m[1], parents: [], author: '', msg: [], diff: this.keepDiff ? [] : null, files: [], hunkLines: 0, inDiff: false, header: 0, kept: 0 };
      return;
    }
    const c = this.cur;
    if (!c) return;
    if (c.header < 2) {
      if (c.header === 0 && l.startsWith('parents')) c.parents = l.slice(8).split(' ').filter(Boolean);
      else if (c.header === 1 && l.startsWith('author ')) c.author = l.slice(7);
      c.header++;
      return;
    }
    if (!c.inDiff && l.startsWith('diff --git ')) c.inDiff = true;
    if (!c.inDiff) {
      c.msg.push(l.startsWith('    ') ? l.slice(4) : l);
      return;
    }
    const d = DIFF_GIT.exec(l);
    if (d) c.files.push(d[2]);
    else if ((l.startsWith(' ') || l.startsWith('+') || l.startsWith('-')) && !l.startsWith('+++ ') && !l.startsWith('--- ')) c.hunkLines++;
    if (c.diff) {
      if (c.kept < this.maxDiffLines) {
        c.diff.push(l);
        c.kept++;
      } else {
        c.diff = null;
      }
    }
  }

  flush(): void {
    const c = this.cur;
    if (!c) return;
    while (c.msg.length && c.msg[c.msg.length - 1].trim() === '') c.msg.pop();
    this.emit({
      sha: c.sha,
      parents: c.parents,
      author: c.author,
      message: c.msg.join('\n'),
      files: c.files,
      hunkLines: c.hunkLines,
      diff: c.diff && c.diff.length ? c.diff.join('\n') + '\n' : null,
    });
    this.cur = null;
  }
}

/**
 * Walks `git log <revArgs>`; returns the patch-id of every non-merge commit walked when `patchIds` is set
 * (commit -> patch-id). Merges carry no diff here (`--diff-merges=off`), so they get no patch-id.
 */
export async function walkLog(git: Git, revArgs: string[], opts: WalkOptions): Promise<Map<string, string>> {
  const withDiff = opts.withDiff || opts.patchIds;
  // a root commit's diff is the whole tree (an imported release): never a backport, and costly to hash
  const args = ['-c', 'log.showRoot=false', 'log', ...(withDiff ? ['-p', ...DIFF_FLAGS, '--diff-merges=off'] : []), ...(opts.topoOrder ? ['--topo-order'] : []), ...(opts.reverse ? ['--reverse'] : []), FORMAT, ...revArgs, '--'];
  const log = git.stream(args);
  const pid = opts.patchIds ? git.stream(['patch-id', '--stable']) : null;
  const pidOut: Buffer[] = [];
  pid?.child.stdout.on('data', (b: Buffer) => pidOut.push(b));

  const parser = new CommitParser(!!opts.withDiff, opts.maxDiffLines ?? 600, opts.onCommit);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let failure: unknown = null;
  const consume = (text: string) => {
    const parts = (rest + text).split('\n');
    rest = parts.pop() ?? '';
    for (const l of parts) parser.line(l);
  };
  log.child.stdout.on('data', (b: Buffer) => {
    if (failure) return;
    if (pid && !pid.child.stdin.write(b)) {
      // patch-id is slower than log: wait for it rather than buffering the whole history in memory
      log.child.stdout.pause();
      pid.child.stdin.once('drain', () => log.child.stdout.resume());
    }
    try {
      consume(decoder.write(b));
    } catch (e) {
      failure = e;
      log.child.kill();
    }
  });
  const ended = new Promise<void>((resolve) => log.child.stdout.on('end', () => resolve()));
  const [res] = await Promise.all([log.done, ended]);
  if (failure) {
    pid?.child.kill();
    throw failure;
  }
  consume(decoder.end());
  if (rest) parser.line(rest);
  parser.flush();
  if (res.code !== 0) {
    pid?.child.kill();
    throw new GitError(args, { stdout: '', stderr: res.stderr, code: res.code });
  }
  const ids = new Map<string, string>();
  if (pid) {
    pid.child.stdin.end();
    const r = await pid.done;
    if (r.code !== 0) throw new GitError(['patch-id', '--stable'], { stdout: '', stderr: r.stderr, code: r.code });
    for (const line of Buffer.concat(pidOut).toString('utf8').split('\n')) {
      const [p, c] = line.split(' ');
      if (p && c) ids.set(c, p);
    }
  }
  return ids;
}

/** `git patch-id --stable` of one commit (null for a merge or an empty commit), with the walk's diff options. */
export async function patchIdOf(git: Git, commit: string): Promise<string | null> {
  const sha = await git.resolveCommit(commit);
  const diff = await git.out(['diff-tree', '-p', '--root', ...DIFF_FLAGS, sha]);
  if (!diff.trim()) return null;
  const out = await git.out(['patch-id', '--stable'], { input: diff });
  const first = out.split('\n')[0]?.split(' ')[0];
  return first ? first : null;
}
