/**
 * Reads of a tree that several rules and checks repeat for every hunk (upstream's copy of the file, sibling sources
 * searched for a signature): once per tree and path. A GitTree read is a `git show`; a kernel directory listing
 * filters ~80k paths.
 */
import type { TreeView } from '../core/tree.ts';
import { splitText } from './text.ts';

const texts = new WeakMap<TreeView, Map<string, Promise<string | null>>>();
const lines = new WeakMap<TreeView, Map<string, Promise<string[] | null>>>();
const dirSources = new WeakMap<TreeView, Map<string, Promise<string[]>>>();

function memo<T>(cache: WeakMap<TreeView, Map<string, Promise<T>>>, tree: TreeView, key: string, load: () => Promise<T>): Promise<T> {
  let m = cache.get(tree);
  if (!m) cache.set(tree, (m = new Map()));
  let p = m.get(key);
  if (!p) m.set(key, (p = load()));
  return p;
}

export function readCached(tree: TreeView, path: string): Promise<string | null> {
  return memo(texts, tree, path, () => tree.read(path));
}

export function linesCached(tree: TreeView, path: string): Promise<string[] | null> {
  return memo(lines, tree, path, async () => {
    const t = await readCached(tree, path);
    return t === null ? null : splitText(t).lines;
  });
}

/** The C sources and headers directly in `dir` (with its trailing slash; '' for the top). */
export function sourcesIn(tree: TreeView, dir: string): Promise<string[]> {
  return memo(dirSources, tree, dir, async () => (await tree.listFiles()).filter((f) => f.startsWith(dir) && !f.slice(dir.length).includes('/') && /\.[ch]$/.test(f)));
}
