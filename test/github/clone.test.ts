/**
 * The installation token reaches git's HTTP requests as a header and nowhere else: checked against a real
 * smart-HTTP server (git http-backend behind node:http) that demands it.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRepoName, cloneDir, conflictMarkers, gitAuthEnv, pushBranch, redact, syncClone } from '../../app/github/clone.ts';
import { Git } from '../../app/git/git.ts';
import { buildSmallMirror, type Mirror } from './git-fixture.ts';

const TOKEN = 'ghs_s3cretT0kenValue1234567890abcdef';

let mirror: Mirror;
let server: Server;
let url: string;
let work: string;
const authSeen: string[] = [];

/** git http-backend as CGI: enough of RFC 3875 for fetch and push. */
function startGitServer(root: string): Promise<Server> {
  const s = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    authSeen.push(auth);
    if (auth !== `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end('no');
      return;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'x-access-token',
        PATH_INFO: u.pathname,
        QUERY_STRING: u.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (b: Buffer) => chunks.push(b));
    cgi.on('close', () => {
      const out = Buffer.concat(chunks);
      const split = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, split).toString();
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split('\r\n')) {
        const [k, ...v] = line.split(':');
        if (k.toLowerCase() === 'status') status = Number(v.join(':').trim().split(' ')[0]);
        else headers[k] = v.join(':').trim();
      }
      res.writeHead(status, headers).end(out.subarray(split + 4));
    });
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

beforeAll(async () => {
  mirror = await buildSmallMirror(['6.18']);
  server = await startGitServer(mirror.root);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/github.git`;
  work = await mkdtemp(join(tmpdir(), 'stablebot-gh-clone-'));
});

afterAll(async () => {
  server?.close();
  await rm(work, { recursive: true, force: true });
  await mirror?.cleanup();
});

describe('clone and push with an installation token', () => {
  it('fetches every branch but our own, pushes a stablebot/* branch, and leaves no token behind', async () => {
    const dir = join(work, 'Codertocat', 'Hello-World');
    const git = await syncClone(dir, url, TOKEN);
    expect((await git.out(['for-each-ref', '--format=%(refname)', 'refs/heads'])).trim().split('\n').sort()).toEqual([
      'refs/heads/linux-6.18.y',
      'refs/heads/master',
    ]);
    expect(await git.out(['tag'])).toContain('v6.18');
    expect(authSeen.filter((a) => a.startsWith('Basic ')).length).toBeGreaterThan(0);

    const tip = (await git.out(['rev-parse', 'linux-6.18.y'])).trim();
    const tree = (await git.out(['rev-parse', `${tip}^{tree}`])).trim();
    const commit = (
      await git.out(['commit-tree', tree, '-p', tip, '-m', 'backport'], {
        env: { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@example.org' },
      })
    ).trim();
    await pushBranch(git, url, TOKEN, commit, 'stablebot/linux-6.18.y/0123456789ab');
    expect((await new Git(mirror.bare).out(['rev-parse', 'refs/heads/stablebot/linux-6.18.y/0123456789ab'])).trim()).toBe(commit);

    // a second sync does not pull our pushed branch back (the pipeline owns local stablebot/* branches)
    await syncClone(dir, url, TOKEN);
    expect(await git.ok(['show-ref', '--verify', '--quiet', 'refs/heads/stablebot/linux-6.18.y/0123456789ab'])).toBe(false);

    const config = await readFile(join(dir, '.git', 'config'), 'utf8');
    expect(config).toContain(url);
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
  });

  it('a wrong token fails with a message that does not contain it', async () => {
    const wrong = 'ghs_wrongwrongwrongwrong';
    const err = await syncClone(join(work, 'o', 'r2'), url, wrong).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/git fetch from .* failed/);
    expect((err as Error).message).not.toContain(wrong);
  });

  it('refuses to push outside stablebot/*', async () => {
    const git = new Git(join(work, 'Codertocat', 'Hello-World'));
    await expect(pushBranch(git, url, TOKEN, 'HEAD', 'linux-6.18.y')).rejects.toThrow(/outside stablebot/);
  });
});

describe('helpers', () => {
  it('gitAuthEnv scopes the header to the remote origin and never to file remotes', () => {
    const env = gitAuthEnv('https://github.com/o/r.git', TOKEN);
    expect(env.GIT_CONFIG_KEY_0).toBe('http.https://github.com/.extraHeader');
    expect(env.GIT_CONFIG_VALUE_0).toBe(`Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`);
    expect(gitAuthEnv('/srv/git/r.git', TOKEN)).toEqual({});
    expect(() => gitAuthEnv('https://user:pw@github.com/o/r.git', TOKEN)).toThrow(/must not carry credentials/);
  });

  it('redact hides the token and its base64 form', () => {
    const b64 = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    expect(redact(`fatal: ${TOKEN} and ${b64}`, TOKEN)).toBe('fatal: *** and ***');
  });

  it('work dirs are per owner/repo and refuse path escapes', () => {
    expect(cloneDir('/w', 'torvalds', 'linux')).toBe('/w/torvalds/linux');
    expect(() => assertRepoName('..', 'linux')).toThrow(/not a repository name/);
    expect(() => assertRepoName('o', 'a/b')).toThrow(/not a repository name/);
  });

  it('conflictMarkers finds markers only in added lines', async () => {
    const git = mirror.src;
    const base = (await git.out(['rev-parse', 'HEAD'])).trim();
    expect(await conflictMarkers(git, `${base}^`, base)).toEqual([]);
  });
});
