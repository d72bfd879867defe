/**
 * A plain directory as a TreeView (`stablebot port --tree <dir>`, the benchmark's kernel trees).
 * Reads are direct; the file list is walked once; word lookups go to `git grep --no-index` and are cached, with a
 * hash set of the identifiers in every header's code (built once, on the first lookup, when asked for) answering
 * "declared in some header?" without running grep.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { TreeView } from '../core/tree.ts';
import { Git } from '../git/git.ts';
import { WordHashSet, addCodeIdentifiers } from './word-index.ts';

/**
 * TreeViews that can say cheaply whether a header of the tree declares a word (the engine falls back to
 * filesWithWord). Headers are where anything a .c file may use from elsewhere is declared.
 */
export interface WordLookup {
  hasWordInHeaders(word: string): Promise<boolean>;
}

export function canLookUpWords(tree: TreeView): tree is TreeView & WordLookup {
  return typeof (tree as Partial<WordLookup>).hasWordInHeaders === 'function';
}

/** Does some header (*.h) of the tree contain the word? */
export async function headersHaveWord(tree: TreeView, word: string): Promise<boolean> {
  if (canLookUpWords(tree)) return tree.hasWordInHeaders(word);
  return (await tree.filesWithWord(word)).some((f) => f.endsWith('.h'));
}

const SKIP_DIRS = new Set(['.git']);

export class DirTree implements TreeView, WordLookup {
  readonly label: string;
  readonly root: string;
  private files: string[] | null = null;
  private words = new Map<string, string[]>();
  private index: WordHashSet | null = null;
  /** milliseconds the identifier index took to build (for the benchmark's report) */
  indexMs = 0;

  /**
   * @param opts.wordIndex build the header identifier index on the first lookup (worth it for many lookups, e.g.
   *   the benchmark: seconds once per kernel tree, then microseconds per word); without it each new word costs
   *   one `git grep -q -- '*.h'` (under a second on a warm kernel tree, cached per word).
   */
  constructor(dir: string, private opts: { wordIndex?: boolean } = {}) {
    this.root = resolve(dir);
    this.label = this.root;
  }

  private abs(path: string): string | null {
    const p = resolve(this.root, path);
    return p.startsWith(this.root + sep) ? p : null;
  }

  async read(path: string): Promise<string | null> {
    const p = this.abs(path);
    if (!p) return null;
    try {
      return await readFile(p, 'utf8');
    } catch {
      return null;
    }
  }

  async listFiles(): Promise<string[]> {
    if (this.files) return this.files;
    const out: string[] = [];
    const walk = (dir: string, rel: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (SKIP_DIRS.has(e.name)) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(join(dir, e.name), r);
        else if (e.isFile()) out.push(r);
      }
    };
    walk(this.root, '');
    out.sort();
    this.files = out;
    return out;
  }

  async filesWithWord(word: string): Promise<string[]> {
    if (!/^[A-Za-z_]\w*$/.test(word)) return [];
    const cached = this.words.get(word);
    if (cached) return cached;
    const r = await new Git(this.root).run(['grep', '--no-index', '-I', '-l', '-w', '-F', '-z', '-e', word, '--', '.'], { allowFail: true });
    const hits = r.code === 0 ? r.stdout.split('\0').filter(Boolean).map((p) => p.replace(/^\.\//, '')).sort() : [];
    this.words.set(word, hits);
    return hits;
  }

  private present = new Map<string, boolean>();

  async hasWordInHeaders(word: string): Promise<boolean> {
    if (this.opts.wordIndex || this.index) return (await this.wordIndex()).hasWord(word);
    if (!/^[A-Za-z_]\w*$/.test(word)) return false;
    const known = this.present.get(word);
    if (known !== undefined) return known;
    const r = await new Git(this.root).run(['grep', '--no-index', '-I', '-q', '-w', '-F', '-e', word, '--', '*.h'], { allowFail: true });
    this.present.set(word, r.code === 0);
    return r.code === 0;
  }

  /**
   * Builds the hash set of identifiers in the CODE of every header once (comments and strings skipped).
   * Measured on a 6.1 kernel tree: see the benchmark's report line "identifier index".
   */
  async wordIndex(): Promise<WordHashSet> {
    if (this.index) return this.index;
    const t0 = Date.now();
    const set = new WordHashSet(1 << 22);
    for (const f of await this.listFiles()) {
      if (!f.endsWith('.h')) continue;
      let buf: Buffer;
      try {
        if (statSync(join(this.root, f)).size > 64 << 20) continue;
        buf = readFileSync(join(this.root, f));
      } catch {
        continue;
      }
      addCodeIdentifiers(set, buf);
    }
    this.index = set;
    this.indexMs = Date.now() - t0;
    return set;
  }
}
