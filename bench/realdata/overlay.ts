/**
 * A benchmark case's tree: the case's own target files over the full 6.1 kernel tree they were taken from, so the
 * engine's tree-wide checks (identifiers, headers, struct definitions) see a real kernel.
 */
import type { TreeView } from '../../app/core/tree.ts';
import { DirTree } from '../../app/apply/tree-dir.ts';

export class OverlayTree implements TreeView {
  readonly label: string;
  constructor(
    private top: DirTree,
    private base: DirTree | null,
  ) {
    this.label = base ? `${top.label} over ${base.label}` : top.label;
  }

  async read(path: string): Promise<string | null> {
    return (await this.top.read(path)) ?? (this.base ? this.base.read(path) : null);
  }

  async listFiles(): Promise<string[]> {
    const a = await this.top.listFiles();
    if (!this.base) return a;
    const b = await this.base.listFiles();
    // the case's file is the base tree's own file: keep the base list (one identity, shared caches)
    if (a.every((f) => this.baseSet(b).has(f))) return b;
    return [...new Set([...a, ...b])];
  }

  private static sets = new WeakMap<string[], Set<string>>();
  private baseSet(b: string[]): Set<string> {
    let s = OverlayTree.sets.get(b);
    if (!s) OverlayTree.sets.set(b, (s = new Set(b)));
    return s;
  }

  async filesWithWord(word: string): Promise<string[]> {
    const a = await this.top.filesWithWord(word);
    if (!this.base) return a;
    return [...new Set([...a, ...(await this.base.filesWithWord(word))])].sort();
  }

  async hasWordInHeaders(word: string): Promise<boolean> {
    if (this.base && (await this.base.hasWordInHeaders(word))) return true;
    return (await this.top.filesWithWord(word)).some((f) => f.endsWith('.h'));
  }
}
