import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const START = resolve('app/bin/start.mjs');

function start(env: Record<string, string>, cwd: string) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET'].includes(k)),
  ) as Record<string, string>;
  return spawnSync(process.execPath, [START], { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
}

describe('npm start without credentials', () => {
  it('names every missing variable, points to npm run demo and exits 1', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'stablebot-start-'));
    try {
      const r = start({}, cwd);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/missing environment variables: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET/);
      expect(r.stderr).toMatch(/npm run demo/);
      const partial = start({ APP_ID: '12', PRIVATE_KEY_PATH: '/nonexistent.pem' }, cwd);
      expect(partial.status).toBe(1);
      expect(partial.stderr).toMatch(/missing environment variables: WEBHOOK_SECRET\./);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
