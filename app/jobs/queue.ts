/**
 * In-process job queue: one job at a time per queue key (per repository), retries with exponential backoff, a
 * callback when a job finally fails (the App posts an error comment), an optional JobStore for persistence.
 */
import { randomUUID } from 'node:crypto';
import { isStablebotError } from '../core/errors.ts';
import type { Job, JobOutcome, JobRunner, JobSpec, JobStore } from './types.ts';

export interface QueueOptions {
  run: JobRunner;
  /** called once, after the last attempt failed (or at once for errors that retrying cannot fix) */
  onFailed?: (job: Job, error: Error) => Promise<void> | void;
  store?: JobStore;
  /** total attempts including the first (default 3) */
  maxAttempts?: number;
  /** first retry delay; doubled each time (default 2 s) */
  baseDelayMs?: number;
  /** user errors (StablebotError) are not retried by default: the same input fails the same way */
  isRetryable?: (error: Error) => boolean;
  log?: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void; error(o: object, msg?: string): void };
}

interface Entry {
  job: Job;
  done: Promise<JobOutcome>;
  resolve: (o: JobOutcome) => void;
}

export interface Enqueued {
  job: Job;
  /** settles when the job is done or finally failed; never rejects */
  done: Promise<JobOutcome>;
  /** false when an identical job (same dedupeKey) was already queued or running and absorbed this one */
  created: boolean;
}

export class JobQueue {
  private readonly lanes = new Map<string, Entry[]>();
  private readonly running = new Set<string>();
  private readonly byDedupeKey = new Map<string, Entry>();
  private readonly active = new Set<Promise<JobOutcome>>();
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly isRetryable: (e: Error) => boolean;

  constructor(private readonly opts: QueueOptions) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.baseDelayMs = opts.baseDelayMs ?? 2000;
    this.isRetryable = opts.isRetryable ?? ((e) => !isStablebotError(e));
  }

  enqueue<P>(spec: JobSpec<P>): Enqueued {
    if (spec.dedupeKey) {
      const existing = this.byDedupeKey.get(spec.dedupeKey);
      if (existing) return { job: existing.job, done: existing.done, created: false };
    }
    const job: Job = { ...spec, id: randomUUID(), attempts: 0, state: 'queued', createdAt: new Date().toISOString() };
    return { ...this.add(job), created: true };
  }

  /** Re-enqueue what the store still holds (after a restart). */
  async resume(): Promise<number> {
    if (!this.opts.store) return 0;
    const pending = await this.opts.store.pending();
    for (const job of pending) this.add({ ...job, state: 'queued' }, false);
    return pending.length;
  }

  /** Resolves when every queued job has settled (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  get size(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.length;
    return n + this.running.size;
  }

  private add(job: Job, save = true): { job: Job; done: Promise<JobOutcome> } {
    let resolve!: (o: JobOutcome) => void;
    const done = new Promise<JobOutcome>((r) => (resolve = r));
    const entry: Entry = { job, done, resolve };
    if (job.dedupeKey) this.byDedupeKey.set(job.dedupeKey, entry);
    this.active.add(done);
    void done.then(() => this.active.delete(done));
    const lane = this.lanes.get(job.queueKey) ?? [];
    lane.push(entry);
    this.lanes.set(job.queueKey, lane);
    void (async () => {
      if (save) await this.safely(() => this.opts.store?.save(job));
      this.pump(job.queueKey);
    })();
    return { job, done };
  }

  private pump(queueKey: string): void {
    if (this.running.has(queueKey)) return;
    const lane = this.lanes.get(queueKey);
    const next = lane?.shift();
    if (!next) {
      this.lanes.delete(queueKey);
      return;
    }
    this.running.add(queueKey);
    void this.execute(next.job).then((outcome) => {
      // bookkeeping first, so whoever awaits `done` sees a queue that no longer holds the job
      this.running.delete(queueKey);
      if (next.job.dedupeKey && this.byDedupeKey.get(next.job.dedupeKey) === next) this.byDedupeKey.delete(next.job.dedupeKey);
      next.resolve(outcome);
      this.pump(queueKey);
    });
  }

  private async execute(job: Job): Promise<JobOutcome> {
    for (;;) {
      job.attempts++;
      job.state = 'running';
      try {
        const result = await this.opts.run(job);
        job.state = 'done';
        await this.safely(() => this.opts.store?.markDone(job.id, result ?? null));
        return { ok: true, result };
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        job.lastError = error.message;
        const retry = job.attempts < this.maxAttempts && this.isRetryable(error);
        if (retry) {
          job.state = 'retrying';
          const delay = this.baseDelayMs * 2 ** (job.attempts - 1);
          this.opts.log?.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, delay, err: error.message }, 'job failed, retrying');
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        job.state = 'failed';
        this.opts.log?.error({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: error.message }, 'job failed');
        await this.safely(() => this.opts.store?.markFailed(job.id, error.message));
        await this.safely(() => this.opts.onFailed?.(job, error));
        return { ok: false, error };
      }
    }
  }

  /** Store and callback failures are logged, never allowed to wedge the queue. */
  private async safely(fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.opts.log?.error({ err: e instanceof Error ? e.message : String(e) }, 'job queue hook failed');
    }
  }
}
