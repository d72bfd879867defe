/**
 * The default Store: one SQLite file (better-sqlite3, synchronous underneath), WAL mode, every write in a
 * transaction, so a process killed at any point (SIGKILL mid-sweep) leaves a consistent database behind.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { ReferenceStyle } from '../core/candidate.ts';
import { StablebotError } from '../core/errors.ts';
import type { Git } from '../git/git.ts';
import type { Job, JobState } from '../jobs/types.ts';
import { migrate } from './migrations.ts';
import type {
  BranchOutcome,
  CandidateRecord,
  IndexState,
  OutcomeState,
  PatchIdEntry,
  RefEntry,
  Store,
  SweepRun,
} from './types.ts';

const now = () => new Date().toISOString();

interface CandidateRow {
  repo: string;
  sha: string;
  subject: string;
  class: string;
  reasons: string;
  score: number;
  branches: string;
  sweep_id: number | null;
}

interface SweepRow {
  id: number;
  repo: string;
  upstream: string;
  from_sha: string | null;
  to_sha: string;
  branches: string;
  started_at: string;
  finished_at: string | null;
}

function toCandidate(r: CandidateRow): CandidateRecord {
  return {
    repo: r.repo,
    sha: r.sha,
    subject: r.subject,
    class: r.class as CandidateRecord['class'],
    reasons: JSON.parse(r.reasons) as string[],
    score: r.score,
    branches: JSON.parse(r.branches) as CandidateRecord['branches'],
    sweepId: r.sweep_id ?? 0,
  };
}

function toSweep(r: SweepRow): SweepRun {
  return {
    id: r.id,
    repo: r.repo,
    upstream: r.upstream,
    fromSha: r.from_sha,
    toSha: r.to_sha,
    branches: JSON.parse(r.branches) as string[],
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export class SqliteStore implements Store {
  readonly location: string;
  private readonly db: Database.Database;

  constructor(path: string) {
    this.location = path === ':memory:' ? path : resolve(path);
    if (path !== ':memory:') mkdirSync(dirname(this.location), { recursive: true });
    try {
      this.db = new Database(this.location);
    } catch (e) {
      throw new StablebotError('bad-config', `cannot open the state database ${this.location}: ${(e as Error).message}`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // the CLI and the App may share one file: wait for the other writer instead of failing at once
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
  }

  /** for tests and tools: the raw handle */
  get handle(): Database.Database {
    return this.db;
  }

  async getCursor(repo: string, branch: string): Promise<string | null> {
    const r = this.db.prepare('SELECT sha FROM sweep_cursor WHERE repo = ? AND branch = ?').get(repo, branch) as { sha: string } | undefined;
    return r?.sha ?? null;
  }

  async setCursor(repo: string, branch: string, sha: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO sweep_cursor (repo, branch, sha, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (repo, branch) DO UPDATE SET sha = excluded.sha, updated_at = excluded.updated_at`,
      )
      .run(repo, branch, sha, now());
  }

  async openSweep(repo: string, upstream: string): Promise<SweepRun | null> {
    const r = this.db
      .prepare('SELECT * FROM sweeps WHERE repo = ? AND upstream = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1')
      .get(repo, upstream) as SweepRow | undefined;
    return r ? toSweep(r) : null;
  }

  async startSweep(run: Omit<SweepRun, 'id' | 'startedAt' | 'finishedAt'>): Promise<SweepRun> {
    const startedAt = now();
    const info = this.db
      .prepare('INSERT INTO sweeps (repo, upstream, from_sha, to_sha, branches, started_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(run.repo, run.upstream, run.fromSha, run.toSha, JSON.stringify(run.branches), startedAt);
    return { ...run, id: Number(info.lastInsertRowid), startedAt, finishedAt: null };
  }

  async processed(sweepId: number): Promise<Set<string>> {
    const rows = this.db.prepare('SELECT sha FROM sweep_items WHERE sweep_id = ?').pluck().all(sweepId) as string[];
    return new Set(rows);
  }

  async recordDecision(sweepId: number, repo: string, sha: string, c: CandidateRecord | null): Promise<void> {
    this.db.transaction(() => {
      if (c) {
        this.db
          .prepare(
            `INSERT INTO candidates (repo, sha, class, reasons, score, subject, branches, sweep_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (repo, sha) DO UPDATE SET class = excluded.class, reasons = excluded.reasons, score = excluded.score,
               subject = excluded.subject, branches = excluded.branches, sweep_id = excluded.sweep_id`,
          )
          .run(repo, sha, c.class, JSON.stringify(c.reasons), c.score, c.subject, JSON.stringify(c.branches), sweepId);
      }
      this.db.prepare('INSERT OR IGNORE INTO sweep_items (sweep_id, sha) VALUES (?, ?)').run(sweepId, sha);
    })();
  }

  async finishSweep(sweepId: number): Promise<void> {
    this.db.transaction(() => {
      const run = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(sweepId) as SweepRow | undefined;
      if (!run) throw new Error(`no sweep ${sweepId}`);
      this.db.prepare('UPDATE sweeps SET finished_at = ? WHERE id = ?').run(now(), sweepId);
      this.db
        .prepare(
          `INSERT INTO sweep_cursor (repo, branch, sha, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (repo, branch) DO UPDATE SET sha = excluded.sha, updated_at = excluded.updated_at`,
        )
        .run(run.repo, run.upstream, run.to_sha, now());
      // the per-commit marks only serve a restart of this sweep
      this.db.prepare('DELETE FROM sweep_items WHERE sweep_id = ?').run(sweepId);
    })();
  }

  async candidatesOfSweep(sweepId: number): Promise<CandidateRecord[]> {
    const rows = this.db.prepare('SELECT * FROM candidates WHERE sweep_id = ? ORDER BY rowid').all(sweepId) as CandidateRow[];
    return rows.map(toCandidate);
  }

  async listCandidates(repo: string, limit = 500): Promise<CandidateRecord[]> {
    const rows = this.db.prepare('SELECT * FROM candidates WHERE repo = ? ORDER BY sweep_id DESC, rowid DESC LIMIT ?').all(repo, limit) as CandidateRow[];
    return rows.map(toCandidate);
  }

  async getCandidate(repo: string, sha: string): Promise<CandidateRecord | null> {
    const r = this.db.prepare('SELECT * FROM candidates WHERE repo = ? AND sha = ?').get(repo, sha) as CandidateRow | undefined;
    return r ? toCandidate(r) : null;
  }

  async setOutcome(o: BranchOutcome): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO outcomes (repo, sha, branch, outcome, detail, pr_number, pr_url, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, sha, branch) DO UPDATE SET outcome = excluded.outcome, detail = excluded.detail,
           pr_number = COALESCE(excluded.pr_number, outcomes.pr_number), pr_url = COALESCE(excluded.pr_url, outcomes.pr_url),
           updated_at = excluded.updated_at`,
      )
      .run(o.repo, o.sha, o.branch, o.outcome, o.detail ?? null, o.prNumber ?? null, o.prUrl ?? null, now());
  }

  async outcomes(repo: string, sha?: string): Promise<BranchOutcome[]> {
    const rows = (
      sha
        ? this.db.prepare('SELECT * FROM outcomes WHERE repo = ? AND sha = ? ORDER BY branch').all(repo, sha)
        : this.db.prepare('SELECT * FROM outcomes WHERE repo = ? ORDER BY sha, branch').all(repo)
    ) as { repo: string; sha: string; branch: string; outcome: string; detail: string | null; pr_number: number | null; pr_url: string | null; updated_at: string }[];
    return rows.map((r) => ({
      repo: r.repo,
      sha: r.sha,
      branch: r.branch,
      outcome: r.outcome as OutcomeState,
      ...(r.detail !== null ? { detail: r.detail } : {}),
      ...(r.pr_number !== null ? { prNumber: r.pr_number } : {}),
      ...(r.pr_url !== null ? { prUrl: r.pr_url } : {}),
      updatedAt: r.updated_at,
    }));
  }

  async indexState(repo: string, branch: string): Promise<IndexState | null> {
    const r = this.db.prepare('SELECT * FROM ref_index_state WHERE repo = ? AND branch = ?').get(repo, branch) as
      | { repo: string; branch: string; tip: string; upstream: string | null; updated_at: string }
      | undefined;
    return r ? { repo: r.repo, branch: r.branch, tip: r.tip, upstream: r.upstream, updatedAt: r.updated_at } : null;
  }

  async indexedBranches(repo: string): Promise<IndexState[]> {
    const rows = this.db.prepare('SELECT * FROM ref_index_state WHERE repo = ? ORDER BY branch').all(repo) as {
      repo: string;
      branch: string;
      tip: string;
      upstream: string | null;
      updated_at: string;
    }[];
    return rows.map((r) => ({ repo: r.repo, branch: r.branch, tip: r.tip, upstream: r.upstream, updatedAt: r.updated_at }));
  }

  async loadIndex(repo: string, branch: string): Promise<{ refs: RefEntry[]; patchIds: PatchIdEntry[] }> {
    const refs = (
      this.db.prepare('SELECT upstream, commit_sha, style FROM ref_upstream WHERE repo = ? AND branch = ?').raw().all(repo, branch) as [
        string,
        string,
        string,
      ][]
    ).map(([upstream, commit, style]) => ({ upstream, commit, style: style as ReferenceStyle }));
    const patchIds = (
      this.db.prepare('SELECT patch_id, commit_sha FROM ref_patchid WHERE repo = ? AND branch = ?').raw().all(repo, branch) as [string, string][]
    ).map(([patchId, commit]) => ({ patchId, commit }));
    return { refs, patchIds };
  }

  async writeIndex(state: Omit<IndexState, 'updatedAt'>, refs: RefEntry[], patchIds: PatchIdEntry[], replace: boolean): Promise<void> {
    const { repo, branch } = state;
    this.db.transaction(() => {
      if (replace) {
        this.db.prepare('DELETE FROM ref_upstream WHERE repo = ? AND branch = ?').run(repo, branch);
        this.db.prepare('DELETE FROM ref_patchid WHERE repo = ? AND branch = ?').run(repo, branch);
      }
      const addRef = this.db.prepare('INSERT OR IGNORE INTO ref_upstream (repo, branch, upstream, commit_sha, style) VALUES (?, ?, ?, ?, ?)');
      for (const r of refs) addRef.run(repo, branch, r.upstream, r.commit, r.style);
      const addPid = this.db.prepare('INSERT OR IGNORE INTO ref_patchid (repo, branch, patch_id, commit_sha) VALUES (?, ?, ?, ?)');
      for (const p of patchIds) addPid.run(repo, branch, p.patchId, p.commit);
      this.db
        .prepare(
          `INSERT INTO ref_index_state (repo, branch, tip, upstream, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (repo, branch) DO UPDATE SET tip = excluded.tip, upstream = excluded.upstream, updated_at = excluded.updated_at`,
        )
        .run(repo, branch, state.tip, state.upstream, now());
    })();
  }

  async save(job: Job): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, queue_key, dedupe_key, payload, state, attempts, created_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts, last_error = excluded.last_error,
           payload = excluded.payload`,
      )
      .run(job.id, job.kind, job.queueKey, job.dedupeKey ?? null, JSON.stringify(job.payload ?? null), job.state, job.attempts, job.createdAt, job.lastError ?? null);
  }

  async markDone(id: string, result: unknown): Promise<void> {
    this.db.prepare(`UPDATE jobs SET state = 'done', result = ? WHERE id = ?`).run(JSON.stringify(result ?? null), id);
  }

  async markFailed(id: string, err: string): Promise<void> {
    this.db.prepare(`UPDATE jobs SET state = 'failed', last_error = ? WHERE id = ?`).run(err, id);
  }

  async pending(): Promise<Job[]> {
    const rows = this.db.prepare(`SELECT * FROM jobs WHERE state NOT IN ('done', 'failed') ORDER BY created_at, rowid`).all() as {
      id: string;
      kind: string;
      queue_key: string;
      dedupe_key: string | null;
      payload: string;
      state: string;
      attempts: number;
      created_at: string;
      last_error: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      queueKey: r.queue_key,
      ...(r.dedupe_key !== null ? { dedupeKey: r.dedupe_key } : {}),
      payload: JSON.parse(r.payload) as unknown,
      state: r.state as JobState,
      attempts: r.attempts,
      createdAt: r.created_at,
      ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Where state lives: STABLEBOT_DATA_DIR/state.sqlite when set (the App), else `<git-dir>/stablebot/state.sqlite`
 * of the repository (the CLI), so each clone carries its own cursor and index.
 */
export async function defaultStorePath(git: Git): Promise<string> {
  const dataDir = process.env.STABLEBOT_DATA_DIR;
  if (dataDir) return join(resolve(dataDir), 'state.sqlite');
  return join(await gitCommonDir(git), 'stablebot', 'state.sqlite');
}

export async function gitCommonDir(git: Git): Promise<string> {
  await git.assertRepository();
  const dir = (await git.out(['rev-parse', '--git-common-dir'])).trim();
  return resolve(git.dir, dir);
}

/** The key a repository's rows carry: its git directory, absolute (stable across worktrees of one clone). */
export async function repoKeyOf(git: Git): Promise<string> {
  return gitCommonDir(git);
}

export async function openDefaultStore(git: Git): Promise<SqliteStore> {
  return new SqliteStore(await defaultStorePath(git));
}
