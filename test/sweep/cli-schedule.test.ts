import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerSweep } from '../../app/cli/sweep.ts';
import { StablebotError } from '../../app/core/errors.ts';
import { runSweepExclusive, scheduleSweeps } from '../../app/sweep/schedule.ts';
import type { SweepOptions, SweepResult } from '../../app/sweep/types.ts';
import { buildSweepBase, type SweepBase } from '../../fixtures/sweep/base.ts';

let dir: string;
let base: SweepBase;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stablebot-sweep-cli-'));
  base = await buildSweepBase(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ out: string; err: string }> {
  const program = new Command().exitOverride();
  registerSweep(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    await program.parseAsync(['node', 'stablebot', 'sweep', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err };
}

describe('stablebot sweep', () => {
  it('prints JSON with the candidates and keeps the cursor in <git-dir>/stablebot/state.sqlite', async () => {
    const { out, err } = await cli(['--repo', dir, '--since', 'v6.19', '--json']);
    const result = JSON.parse(out) as SweepResult;
    expect(result.candidates.map((c) => [c.sha, c.class])).toEqual([[base.seedFix, 'autosel']]);
    // not a terminal: plain progress lines, no carriage returns
    expect(err).toMatch(/^sweep: \d+\/\d+ commits$/m);
    expect(err).not.toContain('\r');
    const again = JSON.parse((await cli(['--repo', dir, '--json'])).out) as SweepResult;
    expect(again.from).toBe(result.to);
    expect(again.considered).toBe(0);
    if (!process.env.STABLEBOT_DATA_DIR) expect(existsSync(join(dir, '.git', 'stablebot', 'state.sqlite'))).toBe(true);
  });

  it('prints a readable summary by default, restricted to the branches asked for', async () => {
    const { out } = await cli(['--repo', dir, '--since', 'v6.19', '--branches', 'linux-6.18.y,linux-6.19.y']);
    expect(out).toContain('branches linux-6.19.y, linux-6.18.y');
    expect(out).toMatch(/AUTOSEL-style \(1\)\n  [0-9a-f]{12} block: fix partial IOVA mapping cleanup/);
    expect(out).toContain('linux-6.19.y: target, linux-6.18.y: target');
  });

  it('rejects a bad threshold or ref with a StablebotError', async () => {
    await expect(cli(['--repo', dir, '--threshold', 'many'])).rejects.toBeInstanceOf(StablebotError);
    await expect(cli(['--repo', dir, '--since', '$(reboot)'])).rejects.toBeInstanceOf(StablebotError);
  });
});

describe('scheduled sweeps', () => {
  it('are off unless a cron expression is configured', () => {
    const saved = process.env.STABLEBOT_SWEEP_CRON;
    delete process.env.STABLEBOT_SWEEP_CRON;
    try {
      expect(scheduleSweeps({ targets: () => [] })).toBeNull();
    } finally {
      if (saved !== undefined) process.env.STABLEBOT_SWEEP_CRON = saved;
    }
  });

  it('rejects a bad cron expression', () => {
    expect(() => scheduleSweeps({ cron: 'every tuesday', targets: () => [] })).toThrow(StablebotError);
  });

  it('runs one sweep at a time per repository; a second request joins the first', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const fake = async (o: SweepOptions) => {
      calls.push(o.repoDir);
      await gate;
      return { repo: o.repoDir } as SweepResult;
    };
    const a = runSweepExclusive({ repoDir: '/repo/a' }, fake);
    const b = runSweepExclusive({ repoDir: '/repo/a/' }, fake);
    const other = runSweepExclusive({ repoDir: '/repo/b' }, fake);
    expect([a.joined, b.joined, other.joined]).toEqual([false, true, false]);
    release();
    expect(await b.result).toBe(await a.result);
    await other.result;
    expect(calls).toEqual(['/repo/a', '/repo/b']);
    // once finished, the next request starts a new sweep
    expect(runSweepExclusive({ repoDir: '/repo/a' }, fake).joined).toBe(false);
  });

  it('a tick sweeps every target and hands each result over', async () => {
    const seen: string[] = [];
    const schedule = scheduleSweeps({
      cron: '0 3 * * *',
      targets: () => [{ repoDir: '/x' }, { repoDir: '/y' }],
      run: async (o) => ({ repo: o.repoDir }) as SweepResult,
      onResult: (r) => {
        seen.push(r.repo);
      },
    })!;
    try {
      expect(schedule.nextRun()).toBeInstanceOf(Date);
      await schedule.tick();
      expect(seen).toEqual(['/x', '/y']);
    } finally {
      schedule.stop();
    }
  });
});
