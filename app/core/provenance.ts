/** The typed result of `stablebot analyze`; markdown and JSON are two views of this one value. */

export interface Evidence {
  /** a command a maintainer can re-run, e.g. "git merge-base --is-ancestor 858299dc6160 linux-6.18.y" */
  command: string;
  /** what it showed, in one or a few lines */
  result: string;
}

export type IntroducedHow = 'fixes-tag' | 'blame';

export interface IntroducingCommit {
  sha: string;
  subject: string;
  /** first mainline tag containing it, e.g. "v6.17"; null when in no release yet */
  firstRelease: string | null;
  how: IntroducedHow;
  /** for blame: the lines of the fix's pre-image it is responsible for */
  lines?: { path: string; line: number; text: string }[];
  evidence: Evidence[];
}

export type BranchStatus = 'affected' | 'not-affected' | 'already-fixed' | 'unknown';

export interface BranchVerdict {
  branch: string;
  status: BranchStatus;
  /** one sentence a maintainer reads first */
  summary: string;
  /** how the buggy code reached the branch, when it did */
  containsIntroducer?: { sha: string; via: 'ancestry' | 'backport'; stableCommit?: string };
  /** when already fixed: the branch commit carrying the fix, and how it was recognised */
  fixedBy?: { sha: string | null; via: 'reference' | 'patch-id' | 'post-image' };
  /** the branch is affected but a Cc: stable hint excludes it (e.g. "# 6.18+" on 6.17.y) */
  excludedBy?: string;
  evidence: Evidence[];
}

export interface UpstreamInfo {
  /** full SHA when known in the repository; the mail's id otherwise */
  sha: string | null;
  subject: string;
  author?: string;
  /** how the upstream commit was identified */
  matchedBy: 'sha' | 'reference-line' | 'patch-id' | 'subject' | 'diff-only';
  /** notes on diff recovery and matching, e.g. "diff was whitespace-damaged; recovered from upstream commit (exact)" */
  notes: string[];
}

export interface Provenance {
  upstream: UpstreamInfo;
  introducedBy: IntroducingCommit[];
  /** commits that only shaped the context the fix touches (e.g. the commit that added `attrs`) */
  contextCommits: { sha: string; subject: string; firstRelease: string | null }[];
  branches: BranchVerdict[];
}
