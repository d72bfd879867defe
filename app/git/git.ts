import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { StablebotError } from '../core/errors.ts';

export interface RunOptions {
  /** text written to git's stdin */
  input?: string;
  /** extra environment (GIT_INDEX_FILE, identities…) */
  env?: Record<string, string>;
  /** return the result instead of throwing on a non-zero exit */
  allowFail?: boolean;
  cwd?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly result: RunResult,
  ) {
    super(`git ${args.join(' ')} failed (${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'GitError';
  }
}

const SHA_RE = /^[0-9a-f]{4,40}$/i;
const FULL_SHA_RE = /^[0-9a-f]{40}$/;

export function isFullSha(s: string): boolean {
  return FULL_SHA_RE.test(s);
}

/** A SHA given by a user: hex, 7..40 characters; anything else is rejected before git sees it. */
export function assertShaLike(s: string): string {
  if (!/^[0-9a-f]{7,40}$/i.test(s)) throw new StablebotError('bad-input', `not a commit id: ${JSON.stringify(s)}`);
  return s.toLowerCase();
}

/**
 * The only place stablebot starts git. Always an argument array (never a shell string), with a fixed environment
 * so user configuration (pagers, colors, hooks paths, replace refs) cannot change what we parse.
 */
export class Git {
  constructor(readonly dir: string) {}

  async run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const result = await new Promise<RunResult>((resolve, reject) => {
      const child = spawn('git', args, {
        cwd: opts.cwd ?? this.dir,
        env: {
          ...process.env,
          GIT_PAGER: 'cat',
          PAGER: 'cat',
          GIT_TERMINAL_PROMPT: '0',
          GIT_NO_REPLACE_OBJECTS: '1',
          LC_ALL: 'C',
          ...opts.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? 1 }),
      );
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
    });
    if (result.code !== 0 && !opts.allowFail) throw new GitError(args, result);
    return result;
  }

  /**
   * Streaming form of run() for output too large to buffer (`log -p` over a whole branch): the caller reads
   * stdout as it comes, and may pipe it on (into `git patch-id`). `done` settles with the exit code and stderr.
   */
  stream(args: string[], opts: Omit<RunOptions, 'allowFail'> = {}): { child: ChildProcessWithoutNullStreams; done: Promise<{ code: number; stderr: string }> } {
    const child = spawn('git', args, {
      cwd: opts.cwd ?? this.dir,
      env: { ...process.env, GIT_PAGER: 'cat', PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', GIT_NO_REPLACE_OBJECTS: '1', LC_ALL: 'C', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    const done = new Promise<{ code: number; stderr: string }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stderr: Buffer.concat(err).toString('utf8') }));
    });
    return { child, done };
  }

  async out(args: string[], opts: RunOptions = {}): Promise<string> {
    return (await this.run(args, opts)).stdout;
  }

  /** `git <args>` succeeded? */
  async ok(args: string[], opts: RunOptions = {}): Promise<boolean> {
    return (await this.run(args, { ...opts, allowFail: true })).code === 0;
  }

  async assertRepository(): Promise<void> {
    const r = await this.run(['rev-parse', '--git-dir'], { allowFail: true }).catch(() => null);
    if (!r || r.code !== 0) throw new StablebotError('not-a-repository', `not a git repository: ${this.dir}`);
  }

  /** Full SHA of a commit given by a user (short SHA, branch or tag); a typed error when it does not exist. */
  async resolveCommit(rev: string): Promise<string> {
    if (rev.startsWith('-') || /[\s\0]/.test(rev) || rev.length > 255) {
      throw new StablebotError('bad-input', `not a valid revision: ${JSON.stringify(rev)}`);
    }
    const r = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { allowFail: true });
    if (r.code !== 0) {
      throw new StablebotError(SHA_RE.test(rev) ? 'unknown-sha' : 'unknown-branch', `no such commit in ${this.dir}: ${rev}`);
    }
    return r.stdout.trim();
  }

  async tryResolve(rev: string): Promise<string | null> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { allowFail: true });
    return r.code === 0 ? r.stdout.trim() : null;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.ok(['merge-base', '--is-ancestor', ancestor, descendant]);
  }

  async branchExists(name: string): Promise<boolean> {
    return this.ok(['show-ref', '--verify', '--quiet', `refs/heads/${name}`]);
  }

  /** File content at a revision, or null when the file does not exist there. */
  async show(rev: string, path: string): Promise<string | null> {
    const r = await this.run(['cat-file', 'blob', `${rev}:${path}`], { allowFail: true });
    return r.code === 0 ? r.stdout : null;
  }
}

/** Branch names from users or config: validated by git itself, and never an option or a path escape. */
export async function assertBranchName(name: string): Promise<string> {
  if (!name || name.startsWith('-') || /[\s\0]/.test(name) || name.includes('..') || name.length > 200) {
    throw new StablebotError('bad-input', `not a valid branch name: ${JSON.stringify(name)}`);
  }
  const r = await new Git(process.cwd()).run(['check-ref-format', '--branch', name], { allowFail: true });
  if (r.code !== 0) throw new StablebotError('bad-input', `not a valid branch name: ${JSON.stringify(name)}`);
  return name;
}
