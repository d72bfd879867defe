/**
 * Whitespace-insensitive searches of code blocks in file text: the single place that decides whether the buggy
 * pre-image or the fixed post-image is present on a branch.
 */

export function normalize(line: string): string {
  return line.replace(/\s+/g, '');
}

function significant(lines: string[]): string[] {
  return lines.map(normalize).filter((l) => l.length > 0);
}

/**
 * 0-based line indexes in `text` where `block` starts, comparing lines whitespace-insensitively and ignoring blank
 * lines on both sides (a web-archive copy drops blank lines).
 */
export function findBlock(text: string, block: string[]): number[] {
  const want = significant(block);
  if (want.length === 0) return [];
  const fileLines = text.split('\n');
  const sig: { n: string; idx: number }[] = [];
  fileLines.forEach((l, idx) => {
    const n = normalize(l);
    if (n.length > 0) sig.push({ n, idx });
  });
  const hits: number[] = [];
  outer: for (let i = 0; i + want.length <= sig.length; i++) {
    for (let j = 0; j < want.length; j++) if (sig[i + j].n !== want[j]) continue outer;
    hits.push(sig[i].idx);
  }
  return hits;
}

export function hasBlock(text: string, block: string[]): boolean {
  return findBlock(text, block).length > 0;
}
