/**
 * Runs a long external command (make, qemu) with an argument array and a hard time limit. The child leads its own
 * process group so the limit kills everything it started (make's compilers, qemu's threads), not just the parent.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface LimitedOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutSec: number;
  /** append stdout+stderr to this file as they come (kept out of memory: kernel builds are chatty) */
  logFile?: string;
  /** keep at most this many bytes of output in memory (the tail) */
  keepBytes?: number;
  /** kill the group as soon as the output matches (a failure that would otherwise sit until the time limit) */
  abortOn?: RegExp;
  /** kill the group when the output has not matched `pattern` after `withinSec` (a start that silently stalls) */
  expectStart?: { pattern: RegExp; withinSec: number };
}

export interface LimitedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** killed because the output matched abortOn */
  aborted: boolean;
  seconds: number;
  /** the last keepBytes of stdout+stderr */
  output: string;
}

export function runLimited(cmd: string, args: string[], opts: LimitedOptions): Promise<LimitedResult> {
  const keep = opts.keepBytes ?? 256 * 1024;
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, LC_ALL: 'C', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
    let tail = '';
    let aborted = false;
    const onData = (b: Buffer) => {
      log?.write(b);
      tail += b.toString('utf8');
      if (tail.length > keep * 2) tail = tail.slice(-keep);
      if (!started && opts.expectStart?.pattern.test(tail)) started = true;
      if (opts.abortOn && !aborted && opts.abortOn.test(tail)) {
        aborted = true;
        killGroup();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutSec * 1000);
    let started = !opts.expectStart;
    const startTimer = opts.expectStart
      ? setTimeout(() => {
          if (!started && !aborted) {
            aborted = true;
            killGroup();
          }
        }, opts.expectStart.withinSec * 1000)
      : null;
    child.on('error', (e) => {
      clearTimeout(timer);
      if (startTimer) clearTimeout(startTimer);
      log?.end();
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (startTimer) clearTimeout(startTimer);
      // stragglers of the group (a compiler make left behind) must not outlive the call
      if (timedOut || aborted || code !== 0) killGroup();
      const finish = () =>
        resolve({ code, signal, timedOut, aborted, seconds: (Date.now() - t0) / 1000, output: tail.slice(-keep) });
      if (log) log.end(finish);
      else finish();
    });
  });
}
