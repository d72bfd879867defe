/**
 * Schema migrations, numbered from 1. The schema version is SQLite's `PRAGMA user_version`; each migration runs in
 * its own transaction together with the version bump, so a crash leaves the database at the previous version or the
 * next one, never in between. Never edit a released migration: add the next one.
 */
import type Database from 'better-sqlite3';
import { StablebotError } from '../core/errors.ts';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'sweep cursor, candidates, jobs',
    up(db) {
      db.exec(`
        CREATE TABLE sweep_cursor (
          repo TEXT NOT NULL, branch TEXT NOT NULL, sha TEXT NOT NULL, updated_at TEXT NOT NULL,
          PRIMARY KEY (repo, branch));
        CREATE TABLE candidates (
          repo TEXT NOT NULL, sha TEXT NOT NULL, class TEXT NOT NULL, reasons TEXT NOT NULL, score REAL NOT NULL,
          PRIMARY KEY (repo, sha));
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY, kind TEXT NOT NULL, queue_key TEXT NOT NULL, dedupe_key TEXT, payload TEXT NOT NULL,
          state TEXT NOT NULL, attempts INTEGER NOT NULL, created_at TEXT NOT NULL, last_error TEXT, result TEXT);
      `);
    },
  },
  {
    version: 2,
    description: 'sweep runs (resumable per commit), candidate subjects and branch plans, outcomes, reference index',
    up(db) {
      db.exec(`
        ALTER TABLE candidates ADD COLUMN subject TEXT NOT NULL DEFAULT '';
        ALTER TABLE candidates ADD COLUMN branches TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE candidates ADD COLUMN sweep_id INTEGER;
        CREATE TABLE sweeps (
          id INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL, upstream TEXT NOT NULL, from_sha TEXT,
          to_sha TEXT NOT NULL, branches TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT);
        CREATE INDEX sweeps_open ON sweeps (repo, upstream, finished_at);
        CREATE TABLE sweep_items (
          sweep_id INTEGER NOT NULL REFERENCES sweeps(id), sha TEXT NOT NULL, PRIMARY KEY (sweep_id, sha));
        CREATE TABLE outcomes (
          repo TEXT NOT NULL, sha TEXT NOT NULL, branch TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT,
          pr_number INTEGER, pr_url TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (repo, sha, branch));
        CREATE TABLE ref_index_state (
          repo TEXT NOT NULL, branch TEXT NOT NULL, tip TEXT NOT NULL, upstream TEXT, updated_at TEXT NOT NULL,
          PRIMARY KEY (repo, branch));
        CREATE TABLE ref_upstream (
          repo TEXT NOT NULL, branch TEXT NOT NULL, upstream TEXT NOT NULL, commit_sha TEXT NOT NULL, style TEXT NOT NULL,
          PRIMARY KEY (repo, branch, upstream, commit_sha)) WITHOUT ROWID;
        CREATE TABLE ref_patchid (
          repo TEXT NOT NULL, branch TEXT NOT NULL, patch_id TEXT NOT NULL, commit_sha TEXT NOT NULL,
          PRIMARY KEY (repo, branch, patch_id, commit_sha)) WITHOUT ROWID;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the database to SCHEMA_VERSION; returns the versions applied. */
export function migrate(db: Database.Database, migrations: Migration[] = MIGRATIONS): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new StablebotError('bad-config', `state database schema v${current} is newer than this stablebot (v${latest}): upgrade stablebot`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
