/**
 * The CLI as a user meets it: the real launcher in a child process (so exit codes and stderr are what a shell sees),
 * against the fixture mirror.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshMirror, repoState } from '../pipeline/helpers.ts';

const BIN = join(import.meta.dirname, '../../app/bin/stablebot.mjs');
const SEED = join(import.meta.dirname, '../../fixtures/seed/autosel-6.19-blk-rq-dma-map-iova.txt');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let m: Awaited<ReturnType<typeof freshMirror>>;
let scratch: string;
beforeAll(async () => {
  m = await freshMirror([], false);
  scratch = mkdtempSync(join(tmpdir(), 'stablebot-cli-'));
}, 120_000);
afterAll(() => {
  m?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('stablebot analyze', () => {
  it('analyzes the seed mail as given (whitespace-damaged) and prints the documented JSON', () => {
    const r = run('analyze', SEED, '--repo', m.git.dir, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.upstream.sha).toBe(m.info.commits.seedFix.sha);
    expect(j.upstream.subject).toBe('block: fix partial IOVA mapping cleanup in blk_rq_dma_map_iova');
    expect(j.upstream.notes.join('\n')).toMatch(/whitespace-damaged/);
    expect(j.upstream.notes.join('\n')).toMatch(/81e7223b1a2d is not in this repository/);
    expect(j.introducedBy).toEqual([
      expect.objectContaining({ sha: m.info.commits.helper.sha, subject: 'block: add scatterlist-less DMA mapping helpers', firstRelease: 'v6.17', how: 'blame' }),
    ]);
    const status = Object.fromEntries(j.branches.map((b: { branch: string; status: string }) => [b.branch, b.status]));
    expect(status).toEqual({
      'linux-6.19.y': 'affected',
      'linux-6.18.y': 'affected',
      'linux-6.17.y': 'affected',
      'linux-6.16.y': 'affected',
      'linux-6.12.y': 'not-affected',
    });
    for (const b of j.branches) {
      expect(b.evidence.length).toBeGreaterThan(0);
      for (const e of b.evidence) expect(e.command).toMatch(/^(git|interdiff|stablebot) /);
    }
    const b616 = j.branches.find((b: { branch: string }) => b.branch === 'linux-6.16.y');
    expect(b616.containsIntroducer.via).toBe('backport');
  });

  it('takes a branch list and globs', () => {
    const r = run('analyze', m.info.commits.seedFix.sha.slice(0, 12), '--repo', m.git.dir, '--branches', 'linux-6.1[89].y,linux-6.12.y', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).branches.map((b: { branch: string }) => b.branch)).toEqual(['linux-6.19.y', 'linux-6.18.y', 'linux-6.12.y']);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['an unknown SHA', () => ['analyze', 'deadbeefdeadbeef', '--repo', m.git.dir], /no such commit.*deadbeefdeadbeef/],
    ['not a repository', () => ['analyze', 'deadbeef', '--repo', scratch], /not a git repository/],
    ['an unknown branch', () => ['analyze', m.info.commits.seedFix.sha, '--repo', m.git.dir, '--branches', 'linux-4.4.y'], /no such branch: linux-4\.4\.y/],
    ['a hostile branch', () => ['analyze', m.info.commits.seedFix.sha, '--repo', m.git.dir, '--branches', '--upload-pack=touch /tmp/x'], /not a valid branch/],
    ['an option as a revision', () => ['analyze', '--output=/tmp/x', '--repo', m.git.dir], /unknown option '--output=\/tmp\/x'/],
    [
      'a malformed mail',
      () => {
        const p = join(scratch, 'bad.mbox');
        writeFileSync(p, 'From nobody\nSubject: hello\n\nno diff here\n');
        return ['analyze', p, '--repo', m.git.dir];
      },
      /malformed mail: no diff found in "hello"/,
    ],
  ];
  for (const [what, args, msg] of bad) {
    it(`${what}: one line on stderr, exit 2, repository unchanged`, async () => {
      const before = await repoState(m.git);
      const r = run(...args());
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
      expect(await repoState(m.git)).toBe(before);
    });
  }
});

describe('stablebot backport', () => {
  it('dry-run reports outcomes and creates nothing; a real run creates one branch per backport', async () => {
    const before = await repoState(m.git);
    const dry = run('backport', SEED, '--repo', m.git.dir, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const j = JSON.parse(dry.out);
    expect(j.results.map((r: { branch: string; outcome: string }) => `${r.branch}:${r.outcome}`)).toEqual([
      'linux-6.19.y:clean',
      'linux-6.18.y:adapted',
      'linux-6.17.y:adapted',
      'linux-6.16.y:adapted',
      'linux-6.12.y:not-affected',
    ]);
    expect(await repoState(m.git)).toBe(before);

    const real = run('backport', SEED, '--repo', m.git.dir, '--to', 'linux-6.18.y', '--json');
    expect(real.code).toBe(0);
    const res = JSON.parse(real.out).results;
    expect(res).toHaveLength(1);
    expect(res[0]).toMatchObject({ branch: 'linux-6.18.y', outcome: 'adapted', rules: ['context-substitution'], backportBranch: `stablebot/linux-6.18.y/${m.info.commits.seedFix.sha.slice(0, 12)}` });
    expect(await m.git.branchExists(res[0].backportBranch)).toBe(true);
    expect(await m.git.out(['status', '--porcelain'])).toBe('');
  });
});
