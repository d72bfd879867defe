import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { SqliteStore } from '../../app/store/sqlite.ts';
import type { CandidateRecord } from '../../app/store/types.ts';
import { renderSweepText, renderTrackingTable } from '../../app/sweep/render.ts';
import { runSweep } from '../../app/sweep/run.ts';
import { buildSweepBase, type SweepBase } from '../../fixtures/sweep/base.ts';
import { Committer } from '../../fixtures/sweep/commit.ts';
import { extendForSweep, type SweepFixture } from '../../fixtures/sweep/extend.ts';

let dir: string;
let base: SweepBase;
let fx: SweepFixture;
let mbox: string;
let stores: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stablebot-sweep-'));
  stores = mkdtempSync(join(tmpdir(), 'stablebot-sweep-stores-'));
  base = await buildSweepBase(dir);
  fx = await extendForSweep(dir);
  mbox = join(stores, 'autosel.mbox');
  writeFileSync(mbox, fx.mbox);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(stores, { recursive: true, force: true });
});

let storeCount = 0;
function freshStore(): SqliteStore {
  return new SqliteStore(join(stores, `s${++storeCount}.sqlite`));
}

const targetsOf = (c: CandidateRecord) => c.branches.filter((b) => b.selection === 'target').map((b) => b.branch).sort();
const alreadyOf = (c: CandidateRecord) => c.branches.filter((b) => b.selection === 'already-fixed').map((b) => b.branch).sort();

async function branchesWith(commit: string): Promise<string[]> {
  const out: string[] = [];
  for (const b of fx.branches) if (await new Committer(dir).git.isAncestor(commit, b)) out.push(b);
  return out.sort();
}

describe('sweep over every stable branch', () => {
  let store: SqliteStore;
  let result: Awaited<ReturnType<typeof runSweep>>;
  beforeAll(async () => {
    store = freshStore();
    result = await runSweep({ repoDir: dir, since: fx.since, mboxFiles: [mbox], store });
  });
  afterAll(() => store.close());

  it('selects exactly the expected commits, each in its class and with reasons', () => {
    const got = new Map(result.candidates.map((c) => [c.sha, c]));
    for (const e of fx.commits) {
      const c = got.get(e.sha);
      if (e.class === null) {
        expect(c, `${e.subject} is not a candidate`).toBeUndefined();
        continue;
      }
      expect(c, `${e.subject} is a candidate`).toBeDefined();
      expect(c!.class, e.subject).toBe(e.class);
      expect(c!.reasons.length, e.subject).toBeGreaterThan(0);
      if (e.targets) expect(targetsOf(c!), e.subject).toEqual([...e.targets].sort());
      if (e.alreadyIn) expect(alreadyOf(c!), e.subject).toEqual([...e.alreadyIn].sort());
      if (e.exclusion) expect(c!.reasons[0], e.subject).toMatch(e.exclusion);
      if (e.hintExcluded) {
        const byHint = c!.branches.filter((b) => b.selection === 'excluded');
        expect(byHint.map((b) => b.branch).sort(), e.subject).toEqual([...e.hintExcluded].sort());
        for (const b of byHint) expect(b.why).toMatch(/^excluded by the Cc: stable hint # \d+\.\d+\+ \(the buggy code is present: Fixes: evidence/);
        expect(c!.reasons.join('\n')).toMatch(/the hint wins/);
      }
    }
    const known = new Set([...fx.commits.map((e) => e.sha), base.seedFix]);
    expect(result.candidates.filter((c) => !known.has(c.sha)).map((c) => c.subject)).toEqual([]);
    expect(result.considered).toBe(fx.commits.length + 1);
  });

  it('selects the seed-shaped untagged fix as AUTOSEL-style, for the branches that carry the blamed code', async () => {
    const seed = result.candidates.find((c) => c.sha === base.seedFix)!;
    expect(seed.class).toBe('autosel');
    expect(targetsOf(seed)).toEqual(await branchesWith(base.seedIntroducer));
    expect(seed.reasons.join('\n')).toMatch(/error-path change: adds label out_unlink:/);
    expect(seed.reasons.join('\n')).toContain(`blamed lines come from ${base.seedIntroducer.slice(0, 12)}`);
    expect(seed.score).toBeGreaterThanOrEqual(6);
  });

  it('reports AUTOSEL mails that match no commit', () => {
    expect(result.unmatchedMails).toEqual([expect.stringContaining(fx.unmatchedMailSubject)]);
  });

  it('moves the cursor: the next sweep without --since finds nothing new, then only what landed since', async () => {
    expect(await store.getCursor(result.repo, 'master')).toBe(result.to);
    const again = await runSweep({ repoDir: dir, store });
    expect(again.considered).toBe(0);
    expect(again.candidates).toEqual([]);
    // a cursor further back (as if the last sweep ended there): only the commits after it are swept
    const mark = fx.commits[fx.commits.length - 3];
    await store.setCursor(result.repo, 'master', mark.sha);
    const tail = await runSweep({ repoDir: dir, store, mboxFiles: [mbox] });
    expect(tail.from).toBe(mark.sha);
    expect(tail.considered).toBe(2);
    expect(tail.candidates.map((c) => c.sha)).toEqual(fx.commits.slice(-2).map((e) => e.sha));
  });

  it('renders a tracking table per branch with outcome and PR link', async () => {
    const b0 = fx.branches[0];
    const t1 = fx.commits.find((e) => e.subject.includes('frob_ring_push'))!;
    await store.setOutcome({ repo: result.repo, sha: t1.sha, branch: b0, outcome: 'clean', prNumber: 41, prUrl: 'https://github.com/o/r/pull/41' });
    const withOutcomes = { ...result, outcomes: await store.outcomes(result.repo) };
    const table = renderTrackingTable(withOutcomes, b0);
    const row = table.split('\n').find((l) => l.includes(t1.sha.slice(0, 12)))!;
    expect(row).toContain('**tagged**');
    expect(row).toContain('clean');
    expect(row).toContain('[#41](https://github.com/o/r/pull/41)');
    // already-fixed and excluded rows carry their reason; branches a fix does not concern do not list it
    expect(table).toContain('already-fixed');
    const oldest = renderTrackingTable(withOutcomes, fx.branches[fx.branches.length - 1]);
    expect(oldest).not.toContain(t1.sha.slice(0, 12));
    expect(renderSweepText(result)).toMatch(/AUTOSEL-style \(\d+\)/);
  });
});

describe('sweeps of fewer branches', () => {
  it('an older branch alone is blocked on the newer trees that lack the fix', async () => {
    const store = freshStore();
    const oldest = fx.branches[fx.branches.length - 1];
    const r = await runSweep({ repoDir: dir, since: fx.since, branches: [oldest], mboxFiles: [mbox], store });
    store.close();
    expect(r.branches).toEqual([oldest]);
    const everywhere = fx.commits.filter((e) => e.class === 'tagged' && e.targets?.length === fx.branches.length);
    expect(everywhere.length).toBeGreaterThan(2);
    for (const e of everywhere) {
      const c = r.candidates.find((x) => x.sha === e.sha)!;
      expect(c.class, e.subject).toBe('excluded');
      expect(c.reasons[0]).toMatch(new RegExp(`^blocked on .*${fx.branches[0].replace(/\./g, '\\.')}`));
    }
    // a fix the newest tree already has blocks only on the trees in between
    const partial = fx.commits.find((e) => e.alreadyIn?.length === 1)!;
    const c = r.candidates.find((x) => x.sha === partial.sha)!;
    expect(c.reasons[0]).toMatch(/^blocked on /);
    expect(c.reasons[0]).not.toContain(fx.branches[0]);
  });

  it('a failed backport to a newer tree blocks the older ones on the next sweep', async () => {
    const store = freshStore();
    const first = await runSweep({ repoDir: dir, since: fx.since, store });
    const fix = fx.commits.find((e) => e.class === 'tagged' && e.targets?.length === fx.branches.length)!;
    await store.setOutcome({ repo: first.repo, sha: fix.sha, branch: fx.branches[0], outcome: 'needs-human' });
    const second = await runSweep({ repoDir: dir, since: fx.since, store });
    const c = second.candidates.find((x) => x.sha === fix.sha)!;
    expect(c.branches.find((b) => b.branch === fx.branches[0])?.selection).toBe('target');
    for (const b of fx.branches.slice(1)) expect(c.branches.find((p) => p.branch === b)?.selection).toBe('blocked');
    // swept twice: still one row per commit
    const n = store.handle.prepare('SELECT count(*) AS n FROM candidates').get() as { n: number };
    expect(n.n).toBe(first.candidates.length);
    store.close();
  });

  it('a lower threshold selects more untagged commits, a higher one fewer', async () => {
    const s1 = freshStore();
    const s2 = freshStore();
    const low = await runSweep({ repoDir: dir, since: fx.since, threshold: 3, store: s1 });
    const high = await runSweep({ repoDir: dir, since: fx.since, threshold: 9, store: s2 });
    s1.close();
    s2.close();
    const n = (r: typeof low) => r.candidates.filter((c) => c.class === 'autosel').length;
    expect(n(low)).toBeGreaterThan(n(high));
    expect(high.candidates.find((c) => c.sha === base.seedFix)?.class).not.toBe('autosel');
  });

  it('rejects bad input with one clear error and records nothing', async () => {
    const store = freshStore();
    await expect(runSweep({ repoDir: dir, since: 'no-such-ref', store })).rejects.toBeInstanceOf(StablebotError);
    await expect(runSweep({ repoDir: dir, branches: ['linux-9.99.y'], store })).rejects.toBeInstanceOf(StablebotError);
    await expect(runSweep({ repoDir: dir, upstream: '--all', store })).rejects.toBeInstanceOf(StablebotError);
    await expect(runSweep({ repoDir: join(stores, 'nope'), store })).rejects.toBeInstanceOf(StablebotError);
    expect(store.handle.prepare('SELECT count(*) AS n FROM sweeps').get()).toEqual({ n: 0 });
    store.close();
  });
});

describe('crash safety', () => {
  function runChild(storePath: string, killAfter: number | null): Promise<{ lines: string[]; signal: NodeJS.Signals | null; code: number | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'runner.ts'), dir, storePath, fx.since, mbox, killAfter === null ? '0' : '40'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      let buf = '';
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout.on('data', (b: Buffer) => {
        buf += b.toString();
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        for (const l of parts) {
          lines.push(l);
          if (killAfter !== null && lines.filter((x) => x.startsWith('decided')).length === killAfter) child.kill('SIGKILL');
        }
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (killAfter === null && code !== 0) reject(new Error(`runner failed: ${err}`));
        else resolve({ lines, signal, code });
      });
    });
  }

  it('a sweep killed mid-run finishes on restart with the same decisions and no duplicate rows', async () => {
    const storePath = join(stores, 'crash.sqlite');
    const killed = await runChild(storePath, 8);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.lines.some((l) => l.startsWith('finished'))).toBe(false);

    const mid = new SqliteStore(storePath);
    const open = await mid.openSweep((await mid.handle.prepare('SELECT repo FROM sweeps').pluck().get()) as string, 'master');
    expect(open).not.toBeNull();
    const processedBefore = (await mid.processed(open!.id)).size;
    expect(processedBefore).toBeGreaterThanOrEqual(8);
    expect(processedBefore).toBeLessThan(fx.commits.length + 1);
    mid.close();

    const restarted = await runChild(storePath, null);
    expect(restarted.lines.at(-1)).toMatch(/^finished \d+ resumed=true$/);
    // the restart decides only what the killed run had not
    expect(restarted.lines.filter((l) => l.startsWith('decided'))).toHaveLength(fx.commits.length + 1 - processedBefore);

    const after = new SqliteStore(storePath);
    const clean = freshStore();
    const reference = await runSweep({ repoDir: dir, since: fx.since, mboxFiles: [mbox], store: clean });
    clean.close();
    const rows = after.handle.prepare('SELECT sha, class FROM candidates ORDER BY sha').all() as { sha: string; class: string }[];
    expect(rows).toEqual(reference.candidates.map((c) => ({ sha: c.sha, class: c.class })).sort((a, b) => a.sha.localeCompare(b.sha)));
    expect(after.handle.prepare('SELECT count(*) AS n FROM sweeps WHERE finished_at IS NULL').get()).toEqual({ n: 0 });
    expect(after.handle.prepare('SELECT count(*) AS n FROM sweep_items').get()).toEqual({ n: 0 });
    expect(after.handle.pragma('integrity_check', { simple: true })).toBe('ok');
    after.close();
  });
});
