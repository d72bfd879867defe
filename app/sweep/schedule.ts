/**
 * Scheduled sweeps for the App: a croner job on STABLEBOT_SWEEP_CRON (off when unset), and at most one sweep at a
 * time per repository, whether it was started by the schedule or by `/backport sweep` (a second request joins the
 * running sweep and gets its result).
 */
import { Cron } from 'croner';
import { resolve } from 'node:path';
import { StablebotError } from '../core/errors.ts';
import { runSweep } from './run.ts';
import type { SweepOptions, SweepResult } from './types.ts';

const running = new Map<string, Promise<SweepResult>>();

/** Runs a sweep unless one is already running for the same repository, in which case it returns that one. */
export function runSweepExclusive(opts: SweepOptions, run: (o: SweepOptions) => Promise<SweepResult> = runSweep): { result: Promise<SweepResult>; joined: boolean } {
  const key = resolve(opts.repoDir);
  const current = running.get(key);
  if (current) return { result: current, joined: true };
  const result = run(opts).finally(() => running.delete(key));
  running.set(key, result);
  return { result, joined: false };
}

export function isSweepRunning(repoDir: string): boolean {
  return running.has(resolve(repoDir));
}

export interface ScheduleOptions {
  /** cron expression; default: STABLEBOT_SWEEP_CRON; no expression = no schedule */
  cron?: string;
  /** the repositories to sweep at each tick (the App lists its installations' clones) */
  targets: () => SweepOptions[] | Promise<SweepOptions[]>;
  onResult?: (result: SweepResult, opts: SweepOptions) => void | Promise<void>;
  onError?: (error: unknown, opts: SweepOptions | null) => void;
  /** for tests: what runs a sweep */
  run?: (o: SweepOptions) => Promise<SweepResult>;
}

export interface SweepSchedule {
  /** next planned tick */
  nextRun(): Date | null;
  /** one tick now (what the timer calls); resolves when every repository's sweep ended */
  tick(): Promise<void>;
  stop(): void;
}

export interface CronJob {
  nextRun(): Date | null;
  /** what the timer calls, callable directly (tests, an operator's "sweep now") */
  tick(): Promise<void>;
  stop(): void;
}

/**
 * A croner job for `expr`, or null when the expression is empty or unset (schedules are off by default). A tick
 * still running swallows the next one instead of overlapping it.
 */
export function startCron(expr: string | undefined, tick: () => Promise<void>): CronJob | null {
  const e = (expr ?? '').trim();
  if (!e) return null;
  let job: Cron;
  try {
    job = new Cron(e, { protect: true, paused: false }, tick);
  } catch (err) {
    throw new StablebotError('bad-config', `STABLEBOT_SWEEP_CRON is not a cron expression: ${JSON.stringify(e)} (${(err as Error).message})`);
  }
  return { nextRun: () => job.nextRun(), tick, stop: () => job.stop() };
}

/** Starts the schedule, or returns null when no cron expression is configured (the default). */
export function scheduleSweeps(opts: ScheduleOptions): SweepSchedule | null {
  const expr = (opts.cron ?? process.env.STABLEBOT_SWEEP_CRON ?? '').trim();
  if (!expr) return null;
  const tick = async () => {
    let targets: SweepOptions[];
    try {
      targets = await opts.targets();
    } catch (e) {
      opts.onError?.(e, null);
      return;
    }
    // repositories one after the other: a sweep is git-heavy, and the machine is shared with backports
    for (const t of targets) {
      const { result, joined } = runSweepExclusive(t, opts.run);
      if (joined) continue; // a sweep of this repository is already running
      try {
        await opts.onResult?.(await result, t);
      } catch (e) {
        opts.onError?.(e, t);
      }
    }
  };
  return startCron(expr, tick);
}
