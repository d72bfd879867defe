/**
 * Trailers and upstream reference lines of kernel commit messages.
 * Readers are lenient (real trailers come with missing quotes, odd case, obfuscated addresses) and never throw.
 */
import type { CommitRef, StableCc, Trailer, Trailers, UpstreamReference } from '../core/candidate.ts';

const TRAILER_LINE = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;
/** Keys accepted as trailers besides any `*-by`: generic `Key: value` lines in bodies (oops dumps) are not trailers. */
const KNOWN_KEYS = new Set(
  ['fixes', 'cc', 'link', 'closes', 'stable-dep-of', 'buglink', 'message-id', 'change-id', 'bug', 'cve', 'patchwork-id', 'upstream-status'],
);

function isTrailerLine(line: string): boolean {
  const m = TRAILER_LINE.exec(line);
  if (!m) return false;
  const key = m[1].toLowerCase();
  return KNOWN_KEYS.has(key) || key.endsWith('-by');
}

const STABLE_ADDRESS = /\bstable(?:\+noautosel)?@(?:vger\.)?kernel\.org\b/i;

export function emptyTrailers(): Trailers {
  return {
    fixes: [],
    stable: [],
    stableDeps: [],
    links: [],
    reviewedBy: [],
    ackedBy: [],
    testedBy: [],
    reportedBy: [],
    signedOffBy: [],
    all: [],
  };
}

/**
 * Lines of the trailer block: walking back from the end of the message over trailer lines, their indented
 * continuations and backporter notes (`[ Adjust context ]`), stopping at the first other line. Web-archive copies
 * drop blank lines, so the block cannot be found as "the last paragraph".
 */
function trailerBlock(message: string): string[] {
  const lines = message.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === '') end--;
  let start = end;
  let i = end - 1;
  while (i >= 0) {
    const line = lines[i];
    if (isTrailerLine(line) || /^\(cherry picked from commit [0-9a-f]{7,40}\)\s*$/i.test(line)) {
      start = i;
      i--;
      continue;
    }
    if (/^\s*\[.*\]\s*$/.test(line)) {
      // a one-line backporter note between trailers
      start = i;
      i--;
      continue;
    }
    if (/\]\s*$/.test(line)) {
      // the last line of a multi-line bracket note: walk back to its opening line
      let j = i;
      while (j >= 0 && j > i - 20 && !/^\s*\[/.test(lines[j])) j--;
      if (j >= 0 && /^\s*\[/.test(lines[j])) {
        start = j;
        i = j - 1;
        continue;
      }
      break;
    }
    if (/^[ \t]+\S/.test(line) && i > 0) {
      // continuation of the trailer above it (folded Fixes subject, long Link)
      i--;
      continue;
    }
    break;
  }
  // a continuation line only counts when a trailer line precedes it
  while (start < end && !isTrailerLine(lines[start]) && !/^\s*\[/.test(lines[start]) && !/^\(cherry/i.test(lines[start])) start++;
  return lines.slice(start, end);
}

/** Trailers of a commit message, in order, with continuation lines joined. */
function readTrailerLines(message: string): Trailer[] {
  const out: Trailer[] = [];
  for (const line of trailerBlock(message)) {
    const m = isTrailerLine(line) ? TRAILER_LINE.exec(line) : null;
    if (m) {
      out.push({ key: m[1], value: m[2].trim() });
    } else if (/^[ \t]+\S/.test(line) && out.length > 0 && !/^\s*\[/.test(line)) {
      const last = out[out.length - 1];
      last.value = `${last.value} ${line.trim()}`.trim();
    }
  }
  return out;
}

/** `<sha> ("subject")`, tolerating missing quotes or parentheses and a leading "commit". */
export function parseCommitRef(value: string): CommitRef | undefined {
  const m = /^(?:commit\s+)?([0-9a-f]{7,40})\b\s*(.*)$/i.exec(value.trim());
  if (!m) return undefined;
  const ref: CommitRef = { sha: m[1].toLowerCase() };
  let rest = m[2].trim();
  if (rest.startsWith('(') && rest.endsWith(')')) rest = rest.slice(1, -1).trim();
  else if (rest.startsWith('(')) rest = rest.slice(1).trim();
  if (rest.startsWith('"') && rest.endsWith('"') && rest.length >= 2) rest = rest.slice(1, -1);
  else if (rest.startsWith('"')) rest = rest.slice(1);
  rest = rest.trim();
  if (rest) ref.subject = rest;
  return ref;
}

/** Lowest X.Y series named at the start of a stable hint: "6.1+", "v6.6+", "6.6.x", "3.3.x: a1f84a3: …", "5.10". */
export function minVersionOfHint(hint: string): string | undefined {
  const m = /^(?:v|linux-)?(\d{1,2})\.(\d{1,3})(?:\.(?:x|y|\d+))?\+?(?=$|[\s:,;.)-])/i.exec(hint.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

function parseStableCc(value: string): StableCc | undefined {
  const hash = value.indexOf('#');
  const addressPart = hash >= 0 ? value.slice(0, hash) : value;
  const m = STABLE_ADDRESS.exec(addressPart);
  if (!m) return undefined;
  const cc: StableCc = { address: m[0].toLowerCase(), noautosel: /\+noautosel@/i.test(m[0]) };
  const hint = hash >= 0 ? value.slice(hash + 1).trim() : '';
  if (hint) {
    cc.hint = hint;
    const min = minVersionOfHint(hint);
    if (min) cc.minVersion = min;
  }
  return cc;
}

export function parseTrailers(message: string): Trailers {
  const t = emptyTrailers();
  if (typeof message !== 'string') return t;
  t.all = readTrailerLines(message);
  for (const { key, value } of t.all) {
    switch (key.toLowerCase()) {
      case 'fixes': {
        const ref = parseCommitRef(value);
        if (ref) t.fixes.push(ref);
        break;
      }
      case 'stable-dep-of': {
        const ref = parseCommitRef(value);
        if (ref) t.stableDeps.push(ref);
        break;
      }
      case 'cc': {
        const cc = parseStableCc(value);
        if (cc) t.stable.push(cc);
        break;
      }
      case 'link':
      case 'closes':
        if (key.toLowerCase() === 'link' && value) t.links.push(value);
        break;
      case 'reviewed-by':
        t.reviewedBy.push(value);
        break;
      case 'acked-by':
        t.ackedBy.push(value);
        break;
      case 'tested-by':
        t.testedBy.push(value);
        break;
      case 'reported-by':
        t.reportedBy.push(value);
        break;
      case 'signed-off-by':
        t.signedOffBy.push(value);
        break;
    }
  }
  return t;
}

const FULL_SHA = /\b([0-9a-f]{40})\b/i;

/**
 * The mainline commit a stable commit or mail names. Explicit forms first (`commit <sha> upstream.`,
 * `[ Upstream commit <sha> ]`), then `(cherry picked from commit <sha>)`, then the kernel CVE team's rule:
 * the first full SHA on the first line that contains "upstream", case-insensitive.
 */
export function findUpstreamReference(message: string): UpstreamReference | undefined {
  if (typeof message !== 'string') return undefined;
  const lines = message.replace(/\r\n?/g, '\n').split('\n');
  for (const line of lines) {
    const a = /^\s*commit ([0-9a-f]{40}) upstream\b/i.exec(line);
    if (a) return { sha: a[1].toLowerCase(), style: 'commit-upstream' };
    const b = /^\s*\[\s*upstream commit ([0-9a-f]{40})\s*\]/i.exec(line);
    if (b) return { sha: b[1].toLowerCase(), style: 'upstream-commit' };
  }
  for (const line of lines) {
    const c = /\(cherry picked from commit ([0-9a-f]{40})\)/i.exec(line);
    if (c) return { sha: c[1].toLowerCase(), style: 'cherry-picked' };
  }
  const first = lines.find((l) => /upstream/i.test(l));
  const sha = first ? FULL_SHA.exec(first) : null;
  if (first && sha) {
    const style = /^\s*\[/.test(first) ? 'upstream-commit' : 'commit-upstream';
    return { sha: sha[1].toLowerCase(), style };
  }
  return undefined;
}

/** True when `line` is the reference line `ref` was read from (so it can be left out of the message). */
export function isReferenceLine(line: string, ref: UpstreamReference): boolean {
  return /upstream|cherry picked/i.test(line) && line.toLowerCase().includes(ref.sha);
}
