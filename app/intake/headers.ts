/** Mail header helpers: folding, RFC 2047 encoded words, addresses, subject prefixes, transfer encodings. */
import type { Person } from '../core/candidate.ts';

export const HEADER_LINE = /^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$/;

export interface HeaderBlock {
  /** lower-cased name → values in order (unfolded, not decoded) */
  headers: Map<string, string[]>;
  /** index of the first line after the block (the blank separator line is consumed) */
  end: number;
}

/** Reads `Name: value` lines with folded continuations from `start` up to a blank line or a non-header line. */
export function readHeaderBlock(lines: string[], start: number, accept: (name: string) => boolean = () => true): HeaderBlock {
  const headers = new Map<string, string[]>();
  let last: { name: string; index: number } | null = null;
  let i = start;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      break;
    }
    if (/^[ \t]/.test(line) && last) {
      const values = headers.get(last.name) as string[];
      values[last.index] = `${values[last.index]} ${line.trim()}`;
      continue;
    }
    const m = HEADER_LINE.exec(line);
    if (!m || !accept(m[1])) break;
    const name = m[1].toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(m[2].trim());
    headers.set(name, values);
    last = { name, index: values.length - 1 };
  }
  return { headers, end: i };
}

function decodeBytes(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** RFC 2047: `=?UTF-8?q?J=C3=B6rg?=` and `=?utf-8?B?...?=`; whitespace between adjacent encoded words is dropped. */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(/(\?=)[ \t]+(?==\?[^?\s]+\?[bBqQ]\?)/g, '$1');
  return joined.replace(/=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g, (_all, charset: string, enc: string, data: string) => {
    const cs = charset.split('*')[0];
    if (enc.toLowerCase() === 'b') return decodeBytes(Buffer.from(data, 'base64'), cs);
    const bytes: number[] = [];
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c === '_') bytes.push(0x20);
      else if (c === '=' && /^[0-9a-fA-F]{2}$/.test(data.slice(i + 1, i + 3))) {
        bytes.push(parseInt(data.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(...Buffer.from(c, 'utf8'));
    }
    return decodeBytes(Buffer.from(bytes), cs);
  });
}

/** "Name <a@b>", "\"Last, First\" <a@b>", "<a@b>", "a@b (Name)", or a bare name (web archives drop addresses). */
export function parsePerson(raw: string): Person | undefined {
  const value = decodeEncodedWords(raw).trim();
  if (!value) return undefined;
  const angle = /^(.*?)\s*<([^<>]*)>\s*$/.exec(value);
  if (angle) return { name: unquote(angle[1]) || angle[2].trim(), email: angle[2].trim() };
  const paren = /^(\S+@\S+)\s*\((.*)\)\s*$/.exec(value);
  if (paren) return { name: paren[2].trim(), email: paren[1] };
  if (/^\S+@\S+$/.test(value)) return { name: value, email: value };
  return { name: unquote(value), email: '' };
}

function unquote(s: string): string {
  const t = s.trim();
  return (t.startsWith('"') && t.endsWith('"') && t.length >= 2 ? t.slice(1, -1).replace(/\\(.)/g, '$1') : t).trim();
}

export interface SubjectParts {
  /** subject without "Re:" and [PATCH …] groups */
  subject: string;
  /** whitespace-separated tokens of the leading bracket groups: ["PATCH", "AUTOSEL", "6.19"] */
  tags: string[];
}

export function splitSubject(raw: string): SubjectParts {
  let s = raw.trim();
  const tags: string[] = [];
  for (;;) {
    const re = /^(?:(?:re|fwd?|aw)\s*:\s*)+/i.exec(s);
    if (re) {
      s = s.slice(re[0].length);
      continue;
    }
    const group = /^\[([^\]]*)\]\s*/.exec(s);
    if (group) {
      tags.push(...group[1].split(/[\s,]+/).filter(Boolean));
      s = s.slice(group[0].length);
      continue;
    }
    break;
  }
  return { subject: s.trim(), tags };
}

/** Decodes a body sent as quoted-printable or base64 (single-part mails only). */
export function decodeTransferEncoding(body: string, encoding: string | undefined, contentType: string | undefined): string {
  const enc = (encoding ?? '').trim().toLowerCase();
  const charset = /charset="?([^";\s]+)"?/i.exec(contentType ?? '')?.[1] ?? 'utf-8';
  if (enc === 'quoted-printable') {
    const soft = body.replace(/=\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < soft.length; i++) {
      if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
        bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        const code = soft.charCodeAt(i);
        if (code < 0x80) bytes.push(code);
        else bytes.push(...Buffer.from(soft[i], 'utf8'));
      }
    }
    return decodeBytes(Buffer.from(bytes), charset);
  }
  if (enc === 'base64') return decodeBytes(Buffer.from(body.replace(/\s+/g, ''), 'base64'), charset);
  return body;
}
