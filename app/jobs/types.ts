/**
 * Jobs: long work (git fetch, backport, publishing) runs off the webhook request. Payloads are plain JSON so a
 * JobStore can persist them and a restarted process can resume (app/store/ implements JobStore on SQLite).
 */

export type JobState = 'queued' | 'running' | 'retrying' | 'done' | 'failed';

export interface JobSpec<P = unknown> {
  /** what runs it, e.g. "backport", "push", "analyze" */
  kind: string;
  /** jobs with the same queue key run one at a time (one repository's clone is not shared between two jobs) */
  queueKey: string;
  /** an identical job already queued or running absorbs this one (redeliveries, double clicks) */
  dedupeKey?: string;
  payload: P;
}

export interface Job<P = unknown> extends JobSpec<P> {
  id: string;
  attempts: number;
  state: JobState;
  createdAt: string;
  lastError?: string;
}

/** Optional persistence hook; every method may be sync or async. */
export interface JobStore {
  save(job: Job): void | Promise<void>;
  markDone(id: string, result: unknown): void | Promise<void>;
  markFailed(id: string, err: string): void | Promise<void>;
  /** jobs saved but neither done nor failed: re-enqueued on start */
  pending(): Job[] | Promise<Job[]>;
}

export type JobOutcome = { ok: true; result: unknown } | { ok: false; error: Error };

export type JobRunner = (job: Job) => Promise<unknown>;
