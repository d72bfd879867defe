import type { BranchOutcome, CandidateRecord, Store } from '../store/types.ts';

export interface SweepOptions {
  repoDir: string;
  /** mainline branch (default "master") */
  upstream?: string;
  /** start after this commit instead of the stored cursor (first sweep: the newest configured branch's fork point) */
  since?: string;
  /** stable branches: names or globs (default "linux-*.y") */
  branches?: string[];
  /** AUTOSEL score a fix needs (default 6) */
  threshold?: number;
  /** AUTOSEL mbox files whose mails select the commits they carry */
  mboxFiles?: string[];
  /** default: the repository's store (`<git-dir>/stablebot/state.sqlite`, or STABLEBOT_DATA_DIR) */
  store?: Store;
  onProgress?: (p: SweepProgress) => void;
}

export interface SweepProgress {
  done: number;
  total: number;
  sha: string;
  subject: string;
}

export interface SweepResult {
  repo: string;
  upstream: string;
  /** exclusive start of the swept range (null: from the root) */
  from: string | null;
  to: string;
  branches: string[];
  sweepId: number;
  /** true when this run finished a sweep an earlier, interrupted run had started */
  resumed: boolean;
  /** commits in the range */
  considered: number;
  /** tagged, autosel and excluded candidates, in upstream order */
  candidates: CandidateRecord[];
  /** per-branch outcomes known so far (backports, PRs) for these candidates */
  outcomes: BranchOutcome[];
  /** AUTOSEL mails that matched no commit of the range */
  unmatchedMails: string[];
  /** git blame work of this run (see ./blame.ts): processes started, lines answered from cache or in memory */
  blame?: { processes: number; cached: number; replayed: number };
  ms: number;
}
