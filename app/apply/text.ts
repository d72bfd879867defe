/**
 * File text as lines, and the two line comparisons the engine allows: exact, and whitespace-insensitive.
 * Lines never carry their newline; a file remembers whether its last line had one so output is byte-faithful.
 */
export interface FileText {
  lines: string[];
  finalNewline: boolean;
}

export function splitText(content: string): FileText {
  if (content === '') return { lines: [], finalNewline: true };
  const lines = content.split('\n');
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

export function joinText(t: FileText): string {
  if (t.lines.length === 0) return '';
  return t.lines.join('\n') + (t.finalNewline ? '\n' : '');
}

/**
 * A line with its whitespace made canonical: runs removed, except one space kept between two word characters
 * (so `unsigned int` never equals `unsignedint`). Tabs versus spaces and re-indentation compare equal.
 */
export function normalizeWs(line: string): string {
  return line
    .trim()
    .replace(/(\w)\s+(?=\w)/g, '$1 ')
    .replace(/\s+/g, '');
}

/** C-ish tokens: identifiers, numbers (with suffixes), string and char literals, and single punctuation. */
const TOKEN = /[A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d[\w.]*|"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|\S/g;

export function tokenize(line: string): string[] {
  return line.match(TOKEN) ?? [];
}

export function isIdentifier(tok: string): boolean {
  return /^[A-Za-z_]\w*$/.test(tok);
}

export function isNumber(tok: string): boolean {
  return /^\d/.test(tok);
}

/** Replace whole-token occurrences of `from` by `to` in code (not inside string literals or comments). */
export function replaceToken(line: string, from: string, to: string): string {
  const out: string[] = [];
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(line); m; m = TOKEN.exec(line)) {
    if (m[0] === from) {
      out.push(line.slice(last, m.index), to);
      last = m.index + m[0].length;
    }
  }
  out.push(line.slice(last));
  return out.join('');
}

/** Does a C identifier occur as a whole word in `text`? */
export function hasWord(text: string, word: string): boolean {
  let i = text.indexOf(word);
  while (i !== -1) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32;
    const after = i + word.length < text.length ? text.charCodeAt(i + word.length) : 32;
    if (!isWordChar(before) && !isWordChar(after)) return true;
    i = text.indexOf(word, i + 1);
  }
  return false;
}

export function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** A line with `shift` tabs added to (or removed from) its leading tabs; blank lines stay as they are. */
export function shiftIndent(line: string, shift: number): string {
  if (!line.trim() || shift === 0) return line;
  if (shift > 0) return '\t'.repeat(shift) + line;
  const tabs = /^\t*/.exec(line)![0].length;
  return line.slice(Math.min(tabs, -shift));
}
