/**
 * Reading patch mails: AUTOSEL, stable review, FAILED, git format-patch output, mbox files and web-archive copies
 * (subject on the first line, `From:`/`Date:` lines instead of headers, whitespace-damaged diff).
 * Bad input raises StablebotError('malformed-mail'); nothing else is thrown.
 */
import type { CommitRef, MailKind, ParsedMail, Person, UpstreamReference } from '../core/candidate.ts';
import { StablebotError } from '../core/errors.ts';
import { findDiffEnd, findDiffStart, parseDiff } from './diff.ts';
import { decodeEncodedWords, decodeTransferEncoding, HEADER_LINE, parsePerson, readHeaderBlock, splitSubject } from './headers.ts';
import { findUpstreamReference, isReferenceLine, parseCommitRef, parseTrailers } from './trailers.ts';

/** The separator git format-patch writes, and the one lore/mboxrd writes. */
const MBOX_FROM = /^From \S+/;
const FORMAT_PATCH_FROM = /^From ([0-9a-f]{40}) Mon Sep 17 00:00:00 2001$/;
const FAILED_SUBJECT = /^FAILED: patch "(.*)" failed to apply to (\d+\.\d+)(?:\.y)?-stable tree\s*$/i;
const REVIEW_LINE = /^(\d+\.\d+)-stable review patch\./;
const ORIGINAL_COMMIT_MARKER = /^-+ original commit in Linus's tree -+\s*$/;
const VERSION_TOKEN = /^v?(\d+\.\d+)(?:\.y|\.\d+)?$/i;
const RANGE_TOKEN = /^v?(\d+\.\d+)(?:\.y)?-v?(\d+\.\d+)(?:\.y)?$/i;
const SERIES_TOKEN = /^(\d+)\/(\d+)$/;
/** header names a web-archive copy keeps as plain lines under the subject */
const ARCHIVE_HEADERS = new Set(['from', 'date', 'to', 'cc', 'subject', 'message-id', 'in-reply-to', 'references', 'reply-to']);

function malformed(what: string): never {
  throw new StablebotError('malformed-mail', `malformed mail: ${what}`);
}

/** Binary junk (NUL bytes, many control characters) is refused before any parsing. */
function assertText(text: string): void {
  if (text.includes('\0')) malformed('contains NUL bytes (binary data, not a mail)');
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) || c === 0xfffd) control++;
  }
  if (control > 0 && control > text.length / 100) malformed(`contains ${control} control characters (binary data, not a mail)`);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

interface SubjectInfo {
  subject: string;
  autosel: boolean;
  versions: string[];
  series?: { index: number; total: number };
}

function readSubject(raw: string): SubjectInfo {
  const { subject, tags } = splitSubject(raw);
  const info: SubjectInfo = { subject, autosel: false, versions: [] };
  for (const tag of tags) {
    if (/^AUTOSEL$/i.test(tag)) info.autosel = true;
    const range = RANGE_TOKEN.exec(tag);
    if (range) info.versions.push(range[1], range[2]);
    const version = VERSION_TOKEN.exec(tag);
    // "v2" is a patch revision, not a series: only X.Y counts
    if (version && !/^v\d+$/i.test(tag)) info.versions.push(version[1]);
    const series = SERIES_TOKEN.exec(tag);
    if (series) info.series = { index: Number(series[1]), total: Number(series[2]) };
  }
  info.versions = [...new Set(info.versions)].sort((a, b) => compareVersions(b, a));
  return info;
}

interface Envelope {
  rawSubject: string;
  /** sender (mail From) */
  sender?: Person;
  date?: string;
  messageId?: string;
  stableReview: boolean;
  stableBase?: string;
  /** index of the first body line */
  bodyStart: number;
  hadHeaders: boolean;
  formatPatch: boolean;
  /** a person named by an in-body From in the archive header block */
  archiveAuthor?: Person;
  transferEncoding?: string;
  contentType?: string;
}

/**
 * A real header block starts with a mail header name. Kernel subjects ("block: fix …") look like headers too, so
 * any other `word:` first line is a web-archive copy's subject.
 */
const MAIL_HEADER_NAMES =
  /^(from|to|cc|bcc|subject|date|message-id|in-reply-to|references|reply-to|sender|return-path|received|delivered-to|mime-version|user-agent|precedence|authentication-results|dkim-signature|thread-topic|thread-index|(x|list|content|arc|resent)-[a-z0-9-]*)$/i;

function isMailHeader(line: string): boolean {
  const m = HEADER_LINE.exec(line);
  return Boolean(m && MAIL_HEADER_NAMES.test(m[1]));
}

function first(headers: Map<string, string[]>, name: string): string | undefined {
  return headers.get(name)?.[0];
}

function readEnvelope(lines: string[]): Envelope {
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  if (i >= lines.length) malformed('empty input');
  let formatPatch = false;
  if (MBOX_FROM.test(lines[i]) && !HEADER_LINE.test(lines[i])) {
    formatPatch = FORMAT_PATCH_FROM.test(lines[i]);
    i++;
    while (i < lines.length && lines[i].trim() === '') i++;
    if (i >= lines.length) malformed('only an mbox separator line');
  }
  if (isMailHeader(lines[i] ?? '')) {
    const { headers, end } = readHeaderBlock(lines, i);
    const subject = first(headers, 'subject');
    if (subject === undefined) malformed('no Subject header');
    const xStable = first(headers, 'x-stable');
    return {
      rawSubject: decodeEncodedWords(subject).trim(),
      sender: parsePerson(first(headers, 'from') ?? ''),
      date: first(headers, 'date'),
      messageId: first(headers, 'message-id')?.replace(/^<|>$/g, ''),
      stableReview: xStable !== undefined && /review/i.test(xStable),
      stableBase: first(headers, 'x-stable-base'),
      bodyStart: end,
      hadHeaders: true,
      formatPatch: formatPatch || /^\[PATCH/i.test(subject),
      transferEncoding: first(headers, 'content-transfer-encoding'),
      contentType: first(headers, 'content-type'),
    };
  }
  // a web-archive copy: the subject is the first line, a few header-like lines follow
  const rawSubject = lines[i].trim();
  const { headers, end } = readHeaderBlock(lines, i + 1, (name) => ARCHIVE_HEADERS.has(name.toLowerCase()));
  const froms = headers.get('from') ?? [];
  return {
    rawSubject,
    sender: froms.length ? parsePerson(froms[0]) : undefined,
    archiveAuthor: froms.length > 1 ? parsePerson(froms[froms.length - 1]) : undefined,
    date: first(headers, 'date'),
    messageId: first(headers, 'message-id')?.replace(/^<|>$/g, ''),
    stableReview: false,
    bodyStart: end,
    hadHeaders: false,
    formatPatch,
  };
}

interface FailedInfo {
  subject: string;
  target: string;
  upstream?: string;
  dependencies: CommitRef[];
  /** first line of the quoted original commit */
  originalStart: number;
}

function readFailedPreamble(lines: string[], start: number, subject: string, target: string): FailedInfo {
  const info: FailedInfo = { subject, target, dependencies: [], originalStart: start };
  let inDeps = false;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i];
    const pick = /^git cherry-pick -x ([0-9a-f]{40})\s*$/i.exec(line.trim());
    if (pick) info.upstream = pick[1].toLowerCase();
    if (/^Possible dependencies:\s*$/i.test(line.trim())) {
      inDeps = true;
      continue;
    }
    if (inDeps) {
      if (line.trim() === '') {
        if (info.dependencies.length) inDeps = false;
        continue;
      }
      const ref = parseCommitRef(line.trim());
      if (ref) info.dependencies.push(ref);
      else inDeps = false;
    }
    if (ORIGINAL_COMMIT_MARKER.test(line)) {
      info.originalStart = i + 1;
      return info;
    }
  }
  return info;
}

/** In-body `From:`/`Date:`/`Subject:` lines (git am semantics): they describe the patch, not the mail. */
function readInBodyHeaders(lines: string[], start: number): { author?: Person; date?: string; subject?: string; end: number } {
  let i = start;
  while (i < lines.length && lines[i].trim() === '') i++;
  if (FORMAT_PATCH_FROM.test(lines[i] ?? '')) i++;
  if (!/^(From|Date|Subject): /i.test(lines[i] ?? '')) return { end: start };
  const { headers, end } = readHeaderBlock(lines, i, (name) => /^(from|date|subject)$/i.test(name));
  return {
    author: parsePerson(first(headers, 'from') ?? ''),
    date: first(headers, 'date'),
    subject: headers.has('subject') ? decodeEncodedWords(first(headers, 'subject') as string).trim() : undefined,
    end,
  };
}

/** The message ends at the `---` separator or where the diff starts, whichever comes first. */
function findMessageEnd(lines: string[], start: number): number {
  for (let i = start; i < lines.length; i++) {
    if (/^---\s*$/.test(lines[i])) return i;
    if (lines[i].startsWith('diff --git ')) return i;
    if (/^--- \S/.test(lines[i]) && /^\+\+\+ \S/.test(lines[i + 1] ?? '')) return i;
  }
  return lines.length;
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === '') a++;
  while (b > a && lines[b - 1].trim() === '') b--;
  return lines.slice(a, b);
}

function decideKind(env: Envelope, subj: SubjectInfo, failed: boolean, review: boolean): MailKind {
  if (failed) return 'failed';
  if (subj.autosel || env.stableReview) return 'autosel';
  if (review) return 'stable-review';
  if (env.formatPatch || env.hadHeaders || /^\[PATCH/i.test(env.rawSubject)) return 'format-patch';
  return 'plain';
}

export function parseMail(text: string): ParsedMail {
  if (typeof text !== 'string') malformed('not text');
  assertText(text);
  let lines = text.replace(/\r\n?/g, '\n').split('\n');
  const env = readEnvelope(lines);
  if (env.transferEncoding && /^(quoted-printable|base64)$/i.test(env.transferEncoding.trim())) {
    const body = decodeTransferEncoding(lines.slice(env.bodyStart).join('\n'), env.transferEncoding, env.contentType);
    lines = [...lines.slice(0, env.bodyStart), ...body.replace(/\r\n?/g, '\n').split('\n')];
    assertText(body);
  }
  if (!env.rawSubject) malformed('no subject');

  const failedMatch = FAILED_SUBJECT.exec(env.rawSubject);
  const subj = readSubject(failedMatch ? failedMatch[1] : env.rawSubject);
  let bodyStart = env.bodyStart;
  let targetVersions = subj.versions;
  let upstream: UpstreamReference | undefined;
  let dependencies: CommitRef[] | undefined;

  if (failedMatch) {
    const failed = readFailedPreamble(lines, bodyStart, subj.subject, failedMatch[2]);
    targetVersions = [failed.target];
    dependencies = failed.dependencies;
    if (failed.upstream) upstream = { sha: failed.upstream, style: 'cherry-picked' };
    bodyStart = failed.originalStart;
  }

  // stable review preamble: "6.12-stable review patch. …" then a line of dashes
  let review = false;
  for (let i = bodyStart, seen = 0; i < lines.length && seen < 4; i++) {
    if (lines[i].trim() === '') continue;
    seen++;
    const m = REVIEW_LINE.exec(lines[i].trim());
    if (!m) continue;
    review = true;
    if (!targetVersions.length) targetVersions = [m[1]];
    let j = i + 1;
    while (j < lines.length && j < i + 6 && !/^-{6,}\s*$/.test(lines[j])) j++;
    bodyStart = j < lines.length && /^-{6,}\s*$/.test(lines[j]) ? j + 1 : i + 1;
    break;
  }

  const inBody = readInBodyHeaders(lines, bodyStart);
  bodyStart = inBody.end;
  const author = inBody.author ?? env.archiveAuthor ?? env.sender;
  let subject = subj.subject;
  if (inBody.subject) subject = splitSubject(inBody.subject).subject || subject;
  if (!subject) malformed('the subject is empty');

  const messageEnd = findMessageEnd(lines, bodyStart);
  const messageRegion = lines.slice(bodyStart, messageEnd);
  const reference = findUpstreamReference(messageRegion.join('\n'));
  if (!upstream && reference) upstream = reference;
  let referenceDropped = false;
  const messageLines = messageRegion.filter((l) => {
    if (!referenceDropped && reference && isReferenceLine(l, reference)) {
      referenceDropped = true;
      return false;
    }
    return true;
  });
  const message = trimBlank(messageLines).join('\n');

  const diffStart = findDiffStart(lines, messageEnd);
  if (diffStart < 0) malformed(`no diff found in "${subject.slice(0, 80)}"`);
  const diffEnd = findDiffEnd(lines, diffStart);
  const diffText = lines.slice(diffStart, diffEnd).join('\n') + '\n';
  const { files, damage } = parseDiff(diffText);
  if (files.length === 0) malformed(`no file in the diff of "${subject.slice(0, 80)}"`);

  const kind = decideKind(env, subj, Boolean(failedMatch), review);
  const mail: ParsedMail = {
    kind,
    subject,
    rawSubject: env.rawSubject,
    author,
    date: inBody.date ?? env.date,
    messageId: env.messageId,
    upstream,
    targetVersions: kind === 'plain' ? [] : targetVersions,
    series: subj.series,
    stableBase: env.stableBase,
    message,
    trailers: parseTrailers(message),
    diffText,
    files,
    damage,
  };
  if (dependencies) mail.dependencies = dependencies;
  if (!mail.author) delete mail.author;
  for (const key of ['date', 'messageId', 'upstream', 'series', 'stableBase'] as const) if (mail[key] === undefined) delete mail[key];
  return mail;
}

/** Start lines of the messages of an mbox: `From ` lines at the top or after a blank line, followed by headers. */
function mboxStarts(lines: string[]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!MBOX_FROM.test(lines[i]) || HEADER_LINE.test(lines[i])) continue;
    let p = i - 1;
    while (p >= 0 && lines[p].trim() === '') p--;
    const afterBlank = i === 0 || p < i - 1 || p < 0;
    // FAILED mails quote the original commit with its own "From <sha>" line: not a new message
    const quoted = p >= 0 && ORIGINAL_COMMIT_MARKER.test(lines[p]);
    if (afterBlank && !quoted && HEADER_LINE.test(lines[i + 1] ?? '')) starts.push(i);
  }
  return starts;
}

/** Messages of an mbox (mboxrd `>From ` escapes undone). A single message without a separator is accepted. */
export function parseMbox(text: string): ParsedMail[] {
  if (typeof text !== 'string') malformed('not text');
  assertText(text);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const starts = mboxStarts(lines);
  const chunks: string[][] = [];
  if (starts.length === 0 || lines.slice(0, starts[0]).some((l) => l.trim() !== '')) {
    chunks.push(lines.slice(0, starts.length ? starts[0] : lines.length));
  }
  starts.forEach((s, k) => chunks.push(lines.slice(s, starts[k + 1] ?? lines.length)));
  const mails: ParsedMail[] = [];
  chunks.forEach((chunk, k) => {
    const body = chunk.map((l) => l.replace(/^>(>*From )/, '$1')).join('\n');
    if (body.trim() === '') return;
    try {
      mails.push(parseMail(body));
    } catch (e) {
      const cover = /^Subject:.*\b0+\/\d+\]/im.test(body);
      if (cover) return; // a cover letter carries no diff
      if (e instanceof StablebotError && chunks.length > 1) {
        throw new StablebotError('malformed-mail', `message ${k + 1} of ${chunks.length}: ${e.message}`);
      }
      throw e;
    }
  });
  if (mails.length === 0) malformed('no patch in the mbox');
  return mails;
}
