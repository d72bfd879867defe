/**
 * AUTOSEL mails as sweep input: each mail is matched to the upstream commit it carries, by the upstream id in its
 * reference line, else by subject, and the series it targets ("[PATCH AUTOSEL 7.0-6.18]") become its branches.
 */
import { readFileSync } from 'node:fs';
import type { ParsedMail } from '../core/candidate.ts';
import { StablebotError } from '../core/errors.ts';
import { compareVersions } from '../core/version.ts';
import { parseMbox } from '../intake/mail.ts';

export interface AutoselMail {
  rawSubject: string;
  subject: string;
  upstream?: string;
  /** series the mail names: both ends of a range, newest first */
  targetVersions: string[];
  file: string;
}

export interface MailMatch {
  mail: AutoselMail;
  by: 'upstream-id' | 'subject';
}

export function readAutoselMails(files: string[]): AutoselMail[] {
  const out: AutoselMail[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new StablebotError('bad-input', `cannot read mbox ${file}`);
    }
    const mails: ParsedMail[] = parseMbox(text);
    for (const m of mails) {
      if (m.kind !== 'autosel') continue;
      out.push({ rawSubject: m.rawSubject, subject: m.subject, upstream: m.upstream?.sha, targetVersions: m.targetVersions, file });
    }
  }
  return out;
}

/** Does the mail target series X.Y? A two-version subject is a range ("7.0-6.18" = 6.18 up to 7.0). */
export function mailTargets(mail: AutoselMail, series: string): boolean {
  const v = mail.targetVersions;
  if (v.length === 0) return true;
  if (v.length === 2) {
    const [hi, lo] = compareVersions(v[0], v[1]) >= 0 ? [v[0], v[1]] : [v[1], v[0]];
    return compareVersions(series, lo) >= 0 && compareVersions(series, hi) <= 0;
  }
  return v.includes(series);
}

/** Matches mails to commits of the sweep: by upstream id first, then by exact subject. */
export function matchMails(mails: AutoselMail[], commits: { sha: string; subject: string }[]): { matches: Map<string, MailMatch[]>; unmatched: AutoselMail[] } {
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const bySubject = new Map<string, string>();
  for (const c of commits) if (!bySubject.has(c.subject)) bySubject.set(c.subject, c.sha);
  const matches = new Map<string, MailMatch[]>();
  const unmatched: AutoselMail[] = [];
  for (const mail of mails) {
    let sha: string | undefined;
    let by: MailMatch['by'] = 'upstream-id';
    if (mail.upstream && bySha.has(mail.upstream)) sha = mail.upstream;
    else if (bySubject.has(mail.subject.trim())) {
      sha = bySubject.get(mail.subject.trim());
      by = 'subject';
    }
    if (!sha) {
      unmatched.push(mail);
      continue;
    }
    matches.set(sha, [...(matches.get(sha) ?? []), { mail, by }]);
  }
  return { matches, unmatched };
}
