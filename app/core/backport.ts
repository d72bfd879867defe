/** The typed result of `stablebot backport`: the report, PR bodies and JSON are views of this one value. */
import type { Evidence, Provenance } from './provenance.ts';

/** 'skipped': affected, but a Cc: stable hint or a maintainer's /backport skip excludes the branch. */
export type BranchOutcome = 'clean' | 'adapted' | 'needs-human' | 'already-fixed' | 'not-affected' | 'skipped';

/** One mechanical change made to upstream's diff, named by the rule that justified it. */
export interface Adaptation {
  /** rule name from rules/*.yml, e.g. "context-substitution" */
  rule: string;
  file: string;
  /** 1-based hunk number in upstream's diff */
  hunk: number;
  /** the sentence for the commit message, without brackets */
  note: string;
  /** rule-specific facts, e.g. { from: "attrs", to: "0" } */
  params: Record<string, string>;
}

/** Why a branch needs a human, with what the maintainer needs to continue. */
export interface Failure {
  /** which check or step refused, e.g. "context-mismatch", "absent-code", "interdiff" */
  check: string;
  reason: string;
  /** upstream hunks that failed, rendered, and the target's code around where they belong */
  hunks: { file: string; hunk: number; upstream: string; target: string | null }[];
  /** `<sha12> ("<subject>")` lines: commits on mainline since the fork that touched the failing lines */
  prerequisites: string[];
  /** FAILED-mail style commands: fetch, checkout, cherry-pick -x */
  commands: string[];
}

export interface BranchResult {
  branch: string;
  outcome: BranchOutcome;
  /** stablebot/<branch>/<sha12>, when a commit was made (null on dry-run or when nothing is to be done) */
  backportBranch: string | null;
  commit: string | null;
  /** names of the rules applied (adapted only) */
  rules: string[];
  adaptations: Adaptation[];
  /** the backport's diff against upstream's diff (adapted only), as text */
  interdiff: string | null;
  /** how it was applied: cherry-pick, 3-way, relocation, rules */
  method: 'cherry-pick' | '3way' | 'relocation' | 'rules' | null;
  commitMessage: string | null;
  failure: Failure | null;
  evidence: Evidence[];
  /** the verify stage's outcome, when it ran (build check, QEMU error path with control) */
  verification?: VerificationSummary;
}

export interface VerificationSummary {
  /** one line, e.g. "unpatched FAIL → patched PASS: error path reproduced and fixed" */
  conclusion: string;
  /** argues against merging: does not compile, patched FAIL, regression */
  blocking: boolean;
  /** the check-run text, with the log excerpt */
  markdown: string;
  /** the full typed result (app/verify VerifyResult) for --json */
  details: unknown;
}

export interface BackportReport {
  provenance: Provenance;
  results: BranchResult[];
}
