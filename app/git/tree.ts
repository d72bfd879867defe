import type { TreeView } from '../core/tree.ts';
import type { Git } from './git.ts';

/** A commit of a repository seen as a TreeView: reads blobs and greps the commit, never checks anything out. */
export class GitTree implements TreeView {
  readonly label: string;
  private files: string[] | null = null;
  private words = new Map<string, string[]>();

  constructor(
    private git: Git,
    readonly commit: string,
    name?: string,
  ) {
    this.label = name ? `${name}@${commit.slice(0, 12)}` : commit.slice(0, 12);
  }

  read(path: string): Promise<string | null> {
    return this.git.show(this.commit, path);
  }

  async listFiles(): Promise<string[]> {
    if (!this.files) this.files = (await this.git.out(['ls-tree', '-r', '-z', '--name-only', this.commit])).split('\0').filter(Boolean);
    return this.files;
  }

  /** Is `word` in some header of the commit? (the engine's fast path for "is this name declared anywhere") */
  async hasWordInHeaders(word: string): Promise<boolean> {
    const key = `h:${word}`;
    const cached = this.words.get(key);
    if (cached) return cached.length > 0;
    const r = await this.git.run(['grep', '-q', '-w', '-F', '-e', word, this.commit, '--', '*.h'], { allowFail: true });
    this.words.set(key, r.code === 0 ? ['yes'] : []);
    return r.code === 0;
  }

  async filesWithWord(word: string): Promise<string[]> {
    const cached = this.words.get(word);
    if (cached) return cached;
    const r = await this.git.run(['grep', '-l', '-w', '-F', '-z', '-e', word, this.commit, '--'], { allowFail: true });
    const prefix = `${this.commit}:`;
    const hits = r.code === 0 ? r.stdout.split('\0').filter(Boolean).map((p) => (p.startsWith(prefix) ? p.slice(prefix.length) : p)) : [];
    this.words.set(word, hits);
    return hits;
  }
}
