/**
 * The one interface to stablebot's durable state: sweep cursors and runs, candidates, per-branch outcomes, the job
 * queue and the backport-reference index. SQLite implements it today (app/store/sqlite.ts); a server database can
 * replace it later, which is why every method returns a Promise and every write that must stay consistent is ONE
 * method (one transaction) rather than a sequence of calls.
 *
 * `repo` keys everything: one store may hold several repositories (the App's data directory).
 */
import type { ReferenceStyle } from '../core/candidate.ts';
import type { Job, JobStore } from '../jobs/types.ts';

export type CandidateClass = 'tagged' | 'autosel' | 'excluded';

/**
 * Why a branch is or is not a target of a candidate, as decided by the sweep. 'excluded': the branch carries the
 * buggy code, but the fix's `Cc: stable # X.Y+` hint leaves it out (the hint wins; the plan says why).
 */
export type BranchSelection = 'target' | 'already-fixed' | 'blocked' | 'excluded' | 'not-affected';

export interface BranchPlan {
  branch: string;
  selection: BranchSelection;
  /** one line: "introducer 1a2b3c4d5e6f in the branch by ancestry", "already in as 0123abcd4567 (patch-id)" */
  why: string;
}

export interface CandidateRecord {
  repo: string;
  sha: string;
  subject: string;
  class: CandidateClass;
  /** human sentences, most important first */
  reasons: string[];
  /** AUTOSEL-style score (tagged and excluded candidates carry the score they would have had, or 0) */
  score: number;
  branches: BranchPlan[];
  /** sweep that found it last */
  sweepId: number;
}

export interface SweepRun {
  id: number;
  repo: string;
  upstream: string;
  /** exclusive lower bound (a commit id), or null for "from the root" */
  fromSha: string | null;
  toSha: string;
  branches: string[];
  startedAt: string;
  finishedAt: string | null;
}

export type OutcomeState = 'pending' | 'clean' | 'adapted' | 'needs-human' | 'failed' | 'skipped';

export interface BranchOutcome {
  repo: string;
  sha: string;
  branch: string;
  outcome: OutcomeState;
  detail?: string;
  prNumber?: number;
  prUrl?: string;
  updatedAt?: string;
}

export interface IndexState {
  repo: string;
  branch: string;
  /** branch tip the index is current for */
  tip: string;
  /** upstream branch whose commits were left out, or null when the whole branch history was indexed */
  upstream: string | null;
  updatedAt: string;
}

export interface RefEntry {
  upstream: string;
  commit: string;
  style: ReferenceStyle;
}

export interface PatchIdEntry {
  patchId: string;
  commit: string;
}

export interface Store extends JobStore {
  /** where the data lives (a file path, a URL without credentials) */
  readonly location: string;

  getCursor(repo: string, branch: string): Promise<string | null>;
  setCursor(repo: string, branch: string, sha: string): Promise<void>;

  /** the unfinished sweep of (repo, upstream), if a previous run was interrupted */
  openSweep(repo: string, upstream: string): Promise<SweepRun | null>;
  startSweep(run: Omit<SweepRun, 'id' | 'startedAt' | 'finishedAt'>): Promise<SweepRun>;
  /** commits of a sweep already decided (candidate or not), so a restarted sweep skips them */
  processed(sweepId: number): Promise<Set<string>>;
  /**
   * Records the decision for one commit of a sweep, in one transaction: the candidate row (upserted: a commit is
   * one row however often it is swept) when it is a candidate, and the commit marked processed either way.
   */
  recordDecision(sweepId: number, repo: string, sha: string, candidate: CandidateRecord | null): Promise<void>;
  /** marks the sweep finished and moves the cursor of (repo, upstream) to its end, in one transaction */
  finishSweep(sweepId: number): Promise<void>;
  candidatesOfSweep(sweepId: number): Promise<CandidateRecord[]>;
  getCandidate(repo: string, sha: string): Promise<CandidateRecord | null>;
  /** the repository's candidates of every sweep, newest sweep first (the tracking issues list them all) */
  listCandidates(repo: string, limit?: number): Promise<CandidateRecord[]>;

  setOutcome(outcome: BranchOutcome): Promise<void>;
  outcomes(repo: string, sha?: string): Promise<BranchOutcome[]>;

  indexState(repo: string, branch: string): Promise<IndexState | null>;
  indexedBranches(repo: string): Promise<IndexState[]>;
  loadIndex(repo: string, branch: string): Promise<{ refs: RefEntry[]; patchIds: PatchIdEntry[] }>;
  /**
   * Adds entries for a branch and moves its state to `state.tip`, in one transaction; `replace` drops the branch's
   * old entries first (a rewritten branch is rebuilt).
   */
  writeIndex(state: Omit<IndexState, 'updatedAt'>, refs: RefEntry[], patchIds: PatchIdEntry[], replace: boolean): Promise<void>;

  /** JobStore (app/jobs/types.ts) */
  save(job: Job): Promise<void>;
  markDone(id: string, result: unknown): Promise<void>;
  markFailed(id: string, err: string): Promise<void>;
  pending(): Promise<Job[]>;

  close(): void;
}
