import { describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { KeyedMutex, RecentIds } from '../../app/jobs/lock.ts';
import { JobQueue } from '../../app/jobs/queue.ts';
import type { Job, JobStore } from '../../app/jobs/types.ts';

class MemoryStore implements JobStore {
  saved: Job[] = [];
  done: string[] = [];
  failed: [string, string][] = [];
  save(job: Job) {
    this.saved.push(structuredClone(job));
  }
  markDone(id: string) {
    this.done.push(id);
  }
  markFailed(id: string, err: string) {
    this.failed.push([id, err]);
  }
  pending() {
    return this.saved.filter((j) => !this.done.includes(j.id) && !this.failed.some(([id]) => id === j.id));
  }
}

describe('JobQueue', () => {
  it('runs one job at a time per queue key, different keys in parallel', async () => {
    const running = new Map<string, number>();
    let maxPerKey = 0;
    let maxTotal = 0;
    const q = new JobQueue({
      run: async (job) => {
        running.set(job.queueKey, (running.get(job.queueKey) ?? 0) + 1);
        maxPerKey = Math.max(maxPerKey, ...running.values());
        maxTotal = Math.max(maxTotal, [...running.values()].reduce((a, b) => a + b, 0));
        await new Promise((r) => setTimeout(r, 15));
        running.set(job.queueKey, running.get(job.queueKey)! - 1);
        return job.payload;
      },
    });
    const jobs = ['a/x', 'a/x', 'b/y', 'b/y', 'a/x'].map((k, i) => q.enqueue({ kind: 't', queueKey: k, payload: i }));
    const outcomes = await Promise.all(jobs.map((j) => j.done));
    expect(outcomes.map((o) => (o.ok ? o.result : null))).toEqual([0, 1, 2, 3, 4]);
    expect(maxPerKey).toBe(1);
    expect(maxTotal).toBe(2);
  });

  it('retries with exponential backoff, then reports the failure once', async () => {
    const times: number[] = [];
    const failures: string[] = [];
    const q = new JobQueue({
      run: async () => {
        times.push(Date.now());
        throw new Error('remote hung up');
      },
      onFailed: (job, err) => {
        failures.push(`${job.attempts}: ${err.message}`);
      },
      maxAttempts: 3,
      baseDelayMs: 40,
    });
    const outcome = await q.enqueue({ kind: 't', queueKey: 'k', payload: null }).done;
    expect(outcome.ok).toBe(false);
    expect(failures).toEqual(['3: remote hung up']);
    const gaps = [times[1] - times[0], times[2] - times[1]];
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75); // doubled
  });

  it('does not retry user errors (StablebotError)', async () => {
    let calls = 0;
    const q = new JobQueue({
      run: async () => {
        calls++;
        throw new StablebotError('unknown-sha', 'no such commit');
      },
      baseDelayMs: 1,
    });
    const outcome = await q.enqueue({ kind: 't', queueKey: 'k', payload: null }).done;
    expect(calls).toBe(1);
    expect(outcome).toMatchObject({ ok: false, error: { message: 'no such commit' } });
  });

  it('an identical job already queued or running absorbs a new one', async () => {
    let calls = 0;
    const q = new JobQueue({
      run: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    const a = q.enqueue({ kind: 't', queueKey: 'k', dedupeKey: 'same', payload: 1 });
    const b = q.enqueue({ kind: 't', queueKey: 'k', dedupeKey: 'same', payload: 2 });
    expect([a.created, b.created]).toEqual([true, false]);
    expect(b.job.id).toBe(a.job.id);
    await q.idle();
    // once done, the same key runs again (a later, deliberate re-run)
    const c = q.enqueue({ kind: 't', queueKey: 'k', dedupeKey: 'same', payload: 3 });
    expect(c.created).toBe(true);
    await q.idle();
    expect(calls).toBe(2);
  });

  it('persists through a JobStore and resumes pending jobs after a restart', async () => {
    const store = new MemoryStore();
    const first = new JobQueue({ run: async (job) => job.payload, store });
    await first.enqueue({ kind: 't', queueKey: 'k', payload: 'ok' }).done;
    expect(store.done).toHaveLength(1);
    // a job saved by a process that died before finishing it
    store.saved.push({ id: 'orphan', kind: 't', queueKey: 'k', payload: 'again', attempts: 1, state: 'running', createdAt: new Date().toISOString() });
    const ran: unknown[] = [];
    const second = new JobQueue({ run: async (job) => ran.push(job.payload), store });
    expect(await second.resume()).toBe(1);
    await second.idle();
    expect(ran).toEqual(['again']);
    expect(store.done).toContain('orphan');
  });

  it('a failing store or failure hook never wedges the queue', async () => {
    const q = new JobQueue({
      run: async () => {
        throw new StablebotError('bad-input', 'nope');
      },
      onFailed: () => {
        throw new Error('GitHub is down');
      },
      store: { save: () => Promise.reject(new Error('disk')), markDone: () => {}, markFailed: () => {}, pending: () => [] },
    });
    const outcome = await q.enqueue({ kind: 't', queueKey: 'k', payload: null }).done;
    expect(outcome.ok).toBe(false);
    expect(q.size).toBe(0);
  });
});

describe('KeyedMutex and RecentIds', () => {
  it('serialises work per key and releases its bookkeeping', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    const task = (key: string, name: string, ms: number) =>
      m.withLock(key, async () => {
        order.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`end ${name}`);
      });
    await Promise.all([task('k', 'a', 20), task('k', 'b', 1), task('other', 'c', 1)]);
    expect(order.indexOf('end a')).toBeLessThan(order.indexOf('start b'));
    expect(order.indexOf('start c')).toBeLessThan(order.indexOf('end a'));
    expect(m.size).toBe(0);
  });

  it('a failing holder releases the lock', async () => {
    const m = new KeyedMutex();
    await expect(m.withLock('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(m.withLock('k', async () => 42)).resolves.toBe(42);
  });

  it('remembers ids up to its capacity', () => {
    const ids = new RecentIds(2);
    expect([ids.add('a'), ids.add('a'), ids.add('b'), ids.add('c'), ids.add('a')]).toEqual([true, false, true, true, true]);
  });
});
