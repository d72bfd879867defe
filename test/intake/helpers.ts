/** Small real git repositories for intake tests, and a mail damager that does what web archives do to diffs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { Git } from '../../app/git/git.ts';

export interface Author {
  name: string;
  email: string;
}

export class TestRepo {
  readonly git: Git;
  private constructor(readonly dir: string) {
    this.git = new Git(dir);
  }

  static async create(): Promise<TestRepo> {
    const dir = mkdtempSync(join(tmpdir(), 'stablebot-intake-'));
    const repo = new TestRepo(dir);
    await repo.git.run(['init', '-q', '-b', 'master']);
    await repo.git.run(['config', 'user.name', 'Test Committer']);
    await repo.git.run(['config', 'user.email', 'committer@example.org']);
    await repo.git.run(['config', 'commit.gpgsign', 'false']);
    return repo;
  }

  async write(files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }

  /** Writes the files and commits them; returns the full SHA. */
  async commit(files: Record<string, string>, message: string, author: Author = { name: 'Test Author', email: 'author@example.org' }): Promise<string> {
    await this.write(files);
    await this.git.run(['add', '-A']);
    await this.git.run(['commit', '-q', '-m', message], {
      env: { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_AUTHOR_DATE: '2026-01-05T10:00:00Z', GIT_COMMITTER_DATE: '2026-01-05T10:00:00Z' },
    });
    return (await this.git.out(['rev-parse', 'HEAD'])).trim();
  }

  async checkout(branch: string, create?: string): Promise<void> {
    await this.git.run(create ? ['checkout', '-q', '-b', branch, create] : ['checkout', '-q', branch]);
  }

  async diffOf(sha: string): Promise<string> {
    return this.git.out(['show', '--format=', '--no-color', sha]);
  }

  /** Does `diff` apply to `rev` (checked in a temporary index, the work tree untouched)? */
  async appliesTo(rev: string, diff: string): Promise<boolean> {
    const index = join(this.dir, '.git', `check-index-${process.pid}`);
    const env = { GIT_INDEX_FILE: index };
    await this.git.run(['read-tree', rev], { env });
    const ok = await this.git.ok(['apply', '--cached', '--check'], { env, input: diff });
    rmSync(index, { force: true });
    return ok;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * What a web archive does to a diff: context lines lose their leading space, blank context lines vanish,
 * leading whitespace of added/removed lines collapses to one space.
 */
export function damage(diff: string): string {
  const out: string[] = [];
  let inHunk = false;
  for (const line of diff.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('@@')) inHunk = true;
    else if (line.startsWith('diff --git')) inHunk = false;
    if (!inHunk || line.startsWith('@@')) {
      out.push(line);
      continue;
    }
    const op = line[0];
    const text = line.slice(1);
    if (op === ' ' || line === '') {
      if (text.trim() !== '') out.push(text.replace(/^\s+/, ''));
      continue;
    }
    if (op === '+' || op === '-') {
      out.push(op + text.replace(/^\s+/, (ws) => (ws ? ' ' : '')));
      continue;
    }
    out.push(line);
  }
  return out.join('\n') + '\n';
}

/** A web-archive copy of an AUTOSEL mail, shaped like the seed. */
export function archiveMail(opts: { subject: string; version: string; author: Author; upstream: string; message: string; diff: string }): string {
  const obfuscate = (email: string) => email.replace(/@.*/, (d) => '@' + 'x'.repeat(d.length - 1));
  return [
    `[PATCH AUTOSEL ${opts.version}] ${opts.subject}`,
    'From: Sasha Levin',
    'Date: Wed Feb 18 2026 - 21:10:24 EST',
    `From: ${opts.author.name} <${obfuscate(opts.author.email)}>`,
    `[ Upstream commit ${opts.upstream} ]`,
    opts.message.trim(),
    `Signed-off-by: ${opts.author.name} <${obfuscate(opts.author.email)}>`,
    'Signed-off-by: Sasha Levin <sashal@xxxxxxxxxx>',
    '---',
    'LLM Generated explanations, may be completely bogus:',
    'The fix adds an error path.',
    '**YES**',
    ' a/file | 2 +-',
    ' 1 file changed, 1 insertion(+), 1 deletion(-)',
    opts.diff.replace(/\n$/, ''),
    '--',
    '2.51.0',
  ].join('\n');
}

export function hunkLines(files: { hunks: { lines: { op: string; text: string }[] }[] }[]): string[][] {
  return files.map((f) => f.hunks.flatMap((h) => h.lines.map((l) => l.op + l.text)));
}

/**
 * A repository maker for one test file: each call creates a fresh repository, removed after the test that made it.
 * Call it once at module level.
 */
export function reposPerTest(): () => Promise<TestRepo> {
  const made: TestRepo[] = [];
  afterEach(() => {
    while (made.length) made.pop()!.cleanup();
  });
  return async () => {
    const r = await TestRepo.create();
    made.push(r);
    return r;
  };
}
