import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Git } from '../git/git.ts';

/**
 * A throw-away index holding a commit's tree, so a patch can be applied and written as a tree without checking
 * anything out (a kernel checkout costs ~20 s; `read-tree` ~1 s). Always removed by `dispose`.
 */
export class ScratchIndex {
  private dir: string;
  readonly env: Record<string, string>;

  private constructor(private git: Git) {
    this.dir = mkdtempSync(join(tmpdir(), 'stablebot-index-'));
    this.env = { GIT_INDEX_FILE: join(this.dir, 'index') };
  }

  static async of(git: Git, commit: string): Promise<ScratchIndex> {
    const idx = new ScratchIndex(git);
    try {
      await git.run(['read-tree', commit], { env: idx.env });
    } catch (e) {
      idx.dispose();
      throw e;
    }
    return idx;
  }

  /** `git apply --cached [extra]` of a diff; true when it applied. */
  async apply(diffText: string, extra: string[] = []): Promise<{ ok: boolean; stderr: string }> {
    const r = await this.git.run(['apply', '--cached', ...extra, '-'], { input: diffText, env: this.env, allowFail: true });
    return { ok: r.code === 0, stderr: r.stderr };
  }

  /** Replaces whole files (content null = delete), keeping each file's mode. */
  async writeFiles(files: { path: string; content: string | null }[]): Promise<void> {
    for (const f of files) {
      if (f.content === null) {
        await this.git.run(['update-index', '--force-remove', '--', f.path], { env: this.env });
        continue;
      }
      const blob = (await this.git.out(['hash-object', '-w', '--stdin', '--path', f.path], { input: f.content })).trim();
      const staged = (await this.git.out(['ls-files', '-s', '--', f.path], { env: this.env })).trim();
      const mode = staged ? staged.split(' ')[0] : '100644';
      await this.git.run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${f.path}`], { env: this.env });
    }
  }

  async writeTree(): Promise<string> {
    return (await this.git.out(['write-tree'], { env: this.env })).trim();
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
