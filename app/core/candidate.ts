import type { FilePatch } from './patch.ts';

export interface Person {
  name: string;
  email: string;
}

/** How a stable commit or mail names its mainline commit. */
export type ReferenceStyle = 'commit-upstream' | 'upstream-commit' | 'cherry-picked';

export interface UpstreamReference {
  sha: string;
  style: ReferenceStyle;
}

export interface CommitRef {
  /** as written (12+ hex usually) */
  sha: string;
  subject?: string;
}

export interface StableCc {
  address: string;
  /** text after '#', e.g. "6.18+" */
  hint?: string;
  /** lowest X.Y series named by the hint ("6.18+", "v6.6+", "6.6.x"), when the hint has one */
  minVersion?: string;
  /** Cc: <stable+noautosel@kernel.org>: never auto-select */
  noautosel: boolean;
}

export interface Trailer {
  key: string;
  value: string;
}

export interface Trailers {
  fixes: CommitRef[];
  stable: StableCc[];
  stableDeps: CommitRef[];
  links: string[];
  reviewedBy: string[];
  ackedBy: string[];
  testedBy: string[];
  reportedBy: string[];
  signedOffBy: string[];
  /** every trailer in order, as written */
  all: Trailer[];
}

export type MailKind = 'autosel' | 'stable-review' | 'format-patch' | 'failed' | 'plain';

export interface DiffDamage {
  damaged: boolean;
  /** human sentences: "context lines lost their leading space", "hunk 1 line counts do not add up (…)" */
  reasons: string[];
}

/** One patch as read from a mail, an mbox entry or a web-archive copy. */
export interface ParsedMail {
  kind: MailKind;
  /** subject without [PATCH …] prefixes */
  subject: string;
  /** the raw subject line (with prefixes) */
  rawSubject: string;
  author?: Person;
  date?: string;
  messageId?: string;
  upstream?: UpstreamReference;
  /** stable series the mail targets, newest first: "[PATCH AUTOSEL 7.0-6.18]" -> ["7.0", "6.18"] (range ends) */
  targetVersions: string[];
  /** "[PATCH AUTOSEL 6.5 10/37]" -> { index: 10, total: 37 } */
  series?: { index: number; total: number };
  /** X-stable-base header, e.g. "Linux 6.19.2" */
  stableBase?: string;
  /** the commit message (subject excluded) as it would be in the upstream commit: body + trailers, no reference line */
  message: string;
  trailers: Trailers;
  /** the diff text as found in the mail */
  diffText: string;
  /** parsed diff (lenient for damaged diffs: line ops are still known, whitespace may be wrong) */
  files: FilePatch[];
  damage: DiffDamage;
  /** FAILED mails: the "Possible dependencies:" list, as `<sha12> ("<subject>")` */
  dependencies?: CommitRef[];
}
