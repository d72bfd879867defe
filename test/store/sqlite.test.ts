import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { MIGRATIONS, migrate, SCHEMA_VERSION } from '../../app/store/migrations.ts';
import { SqliteStore } from '../../app/store/sqlite.ts';
import type { CandidateRecord } from '../../app/store/types.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stablebot-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const candidate = (sha: string, sweepId: number, cls: CandidateRecord['class'] = 'tagged'): CandidateRecord => ({
  repo: '/r',
  sha,
  subject: `subject of ${sha.slice(0, 6)}`,
  class: cls,
  reasons: ['Cc: stable@vger.kernel.org'],
  score: 3,
  branches: [{ branch: 'linux-6.18.y', selection: 'target', why: 'Cc: stable' }],
  sweepId,
});

describe('migrations', () => {
  it('upgrades a hand-made v1 database and keeps its rows', async () => {
    const path = join(dir, 'old.sqlite');
    const v1 = new Database(path);
    // the v1 schema exactly as the first release wrote it
    MIGRATIONS[0].up(v1);
    v1.pragma('user_version = 1');
    v1.prepare('INSERT INTO sweep_cursor VALUES (?, ?, ?, ?)').run('/repo/.git', 'master', 'a'.repeat(40), '2026-01-01T00:00:00Z');
    v1.prepare('INSERT INTO candidates VALUES (?, ?, ?, ?, ?)').run('/repo/.git', 'b'.repeat(40), 'autosel', JSON.stringify(['+2 leak']), 7);
    v1.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run('j1', 'backport', 'q', null, '{"sha":"x"}', 'queued', 0, '2026-01-01', null, null);
    v1.close();

    const store = new SqliteStore(path);
    try {
      expect(store.handle.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(await store.getCursor('/repo/.git', 'master')).toBe('a'.repeat(40));
      const kept = await store.getCandidate('/repo/.git', 'b'.repeat(40));
      expect(kept).toMatchObject({ class: 'autosel', reasons: ['+2 leak'], score: 7, subject: '', branches: [] });
      expect((await store.pending()).map((j) => j.id)).toEqual(['j1']);
      // the new tables work on the upgraded file
      await store.writeIndex({ repo: '/repo/.git', branch: 'linux-6.18.y', tip: 'c'.repeat(40), upstream: 'master' }, [], [], false);
      expect((await store.indexState('/repo/.git', 'linux-6.18.y'))?.tip).toBe('c'.repeat(40));
    } finally {
      store.close();
    }
  });

  it('a failing migration leaves the database at the previous version', () => {
    const db = new Database(':memory:');
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'broken', up: (d: Database.Database) => d.exec('CREATE TABLE x (a); SELECT * FROM missing_table;') }];
    migrate(db);
    expect(() => migrate(db, broken)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'x'`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a database newer than this code', () => {
    const path = join(dir, 'new.sqlite');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    expect(() => new SqliteStore(path)).toThrow(StablebotError);
  });
});

describe('SqliteStore', () => {
  it('opens in WAL mode', () => {
    const store = new SqliteStore(join(dir, 's.sqlite'));
    expect(store.handle.pragma('journal_mode', { simple: true })).toBe('wal');
    store.close();
  });

  it('records sweep decisions once per commit and moves the cursor only when the sweep finishes', async () => {
    const store = new SqliteStore(join(dir, 's.sqlite'));
    const run = await store.startSweep({ repo: '/r', upstream: 'master', fromSha: null, toSha: 'f'.repeat(40), branches: ['linux-6.18.y'] });
    await store.recordDecision(run.id, '/r', '1'.repeat(40), candidate('1'.repeat(40), run.id));
    await store.recordDecision(run.id, '/r', '2'.repeat(40), null);
    await store.recordDecision(run.id, '/r', '1'.repeat(40), candidate('1'.repeat(40), run.id, 'excluded'));
    expect([...(await store.processed(run.id))].sort()).toEqual(['1'.repeat(40), '2'.repeat(40)]);
    expect((await store.openSweep('/r', 'master'))?.id).toBe(run.id);
    expect(await store.getCursor('/r', 'master')).toBeNull();
    const rows = await store.candidatesOfSweep(run.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].class).toBe('excluded');
    await store.finishSweep(run.id);
    expect(await store.getCursor('/r', 'master')).toBe('f'.repeat(40));
    expect(await store.openSweep('/r', 'master')).toBeNull();
    store.close();
  });

  it('keeps outcomes and PR numbers per branch', async () => {
    const store = new SqliteStore(join(dir, 's.sqlite'));
    await store.setOutcome({ repo: '/r', sha: 'a'.repeat(40), branch: 'linux-6.18.y', outcome: 'clean', prNumber: 12, prUrl: 'https://example.org/pr/12' });
    await store.setOutcome({ repo: '/r', sha: 'a'.repeat(40), branch: 'linux-6.18.y', outcome: 'failed', detail: 'build broke' });
    await store.setOutcome({ repo: '/r', sha: 'a'.repeat(40), branch: 'linux-6.12.y', outcome: 'needs-human' });
    const out = await store.outcomes('/r', 'a'.repeat(40));
    expect(out.map((o) => [o.branch, o.outcome, o.prNumber])).toEqual([
      ['linux-6.12.y', 'needs-human', undefined],
      ['linux-6.18.y', 'failed', 12],
    ]);
    store.close();
  });

  it('implements the JobStore the queue uses', async () => {
    const path = join(dir, 's.sqlite');
    let store = new SqliteStore(path);
    const job = { id: 'j1', kind: 'backport', queueKey: 'o/r', payload: { sha: 'abc' }, attempts: 0, state: 'queued' as const, createdAt: '2026-01-01T00:00:00Z' };
    await store.save(job);
    await store.save({ ...job, id: 'j2', createdAt: '2026-01-01T00:00:01Z' });
    await store.save({ ...job, id: 'j3', createdAt: '2026-01-01T00:00:02Z' });
    await store.save({ ...job, attempts: 1, state: 'retrying', lastError: 'timeout' });
    await store.markDone('j2', { pr: 3 });
    await store.markFailed('j3', 'boom');
    store.close();
    store = new SqliteStore(path); // a restarted process
    expect(await store.pending()).toEqual([{ ...job, attempts: 1, state: 'retrying', lastError: 'timeout' }]);
    store.close();
  });

  it('replaces or extends a branch index in one write', async () => {
    const store = new SqliteStore(join(dir, 's.sqlite'));
    const state = { repo: '/r', branch: 'linux-6.18.y', tip: '1'.repeat(40), upstream: 'master' };
    await store.writeIndex(state, [{ upstream: 'a'.repeat(40), commit: 'b'.repeat(40), style: 'upstream-commit' }], [{ patchId: 'p1', commit: 'b'.repeat(40) }], true);
    await store.writeIndex({ ...state, tip: '2'.repeat(40) }, [{ upstream: 'c'.repeat(40), commit: 'd'.repeat(40), style: 'cherry-picked' }], [], false);
    expect((await store.loadIndex('/r', 'linux-6.18.y')).refs).toHaveLength(2);
    await store.writeIndex({ ...state, tip: '3'.repeat(40) }, [], [{ patchId: 'p9', commit: 'e'.repeat(40) }], true);
    expect(await store.loadIndex('/r', 'linux-6.18.y')).toEqual({ refs: [], patchIds: [{ patchId: 'p9', commit: 'e'.repeat(40) }] });
    expect((await store.indexState('/r', 'linux-6.18.y'))?.tip).toBe('3'.repeat(40));
    store.close();
  });
});
