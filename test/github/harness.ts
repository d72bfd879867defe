/**
 * Test harness: a Probot wired to the fake GitHub, real webhook payloads from @octokit/webhooks-examples changed
 * only where a test needs it, and a real git "GitHub" (a local bare repository) plus work dir.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Probot, ProbotOctokit } from 'probot';
import { createApp, type AppOptions, type StablebotApp } from '../../app/github/app.ts';
import { FakeGitHub, type FakeOptions } from './fake-github.ts';

const require = createRequire(import.meta.url);

interface ExampleGroup {
  name: string;
  examples: Record<string, any>[];
}
let examples: ExampleGroup[] | null = null;

/** A deep copy of a real webhook payload: the first example of `event` (with `action`, when given). */
export function examplePayload(event: string, action?: string, pick: (p: Record<string, any>) => boolean = () => true): Record<string, any> {
  examples ??= require('@octokit/webhooks-examples') as ExampleGroup[];
  const group = examples.find((g) => g.name === event);
  const found = group?.examples.find((e) => (action === undefined || e.action === action) && pick(e));
  if (!found) throw new Error(`no example payload for ${event}.${action}`);
  return structuredClone(found);
}

let privateKey: string | null = null;
function testKey(): string {
  privateKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return privateKey;
}

export const INSTALLATION_ID = 4242;

export interface Harness {
  probot: Probot;
  app: StablebotApp;
  gh: FakeGitHub;
  workdir: string;
  receive(name: string, payload: Record<string, any>, id?: string): Promise<void>;
  /** wait until the job queue is empty */
  settle(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeHarness(opts: { app?: AppOptions; fake?: FakeOptions } = {}): Promise<Harness> {
  const workdir = await mkdtemp(join(tmpdir(), 'stablebot-gh-work-'));
  const gh = new FakeGitHub(opts.fake);
  const app = createApp({ workdir, queue: { maxAttempts: 2, baseDelayMs: 10 }, ...opts.app });
  const probot = new Probot({
    appId: 123,
    privateKey: testKey(),
    secret: 'test',
    logLevel: 'fatal',
    // the App's own auth (installation tokens asked outside a webhook: resumed jobs, scheduled sweeps) uses this
    request: { fetch: gh.fetch },
    // a function, so it applies after probot's own defaults (which turn throttling on: 1-3 s between writes)
    Octokit: ProbotOctokit.defaults((options: Record<string, any>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
      request: { ...options.request, fetch: gh.fetch },
    })),
  });
  await probot.load(app);
  return {
    probot,
    app,
    gh,
    workdir,
    receive: (name, payload, id = randomUUID()) => probot.receive({ id, name, payload } as Parameters<Probot['receive']>[0]),
    settle: () => app.queue.idle(),
    cleanup: () => rm(workdir, { recursive: true, force: true }),
  };
}

/** Point a payload at the fake's repository and installation; the rest stays as GitHub sent it. */
export function forRepo<T extends Record<string, any>>(payload: T, gh: FakeGitHub): T {
  (payload as any).installation = { id: INSTALLATION_ID, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==' };
  payload.repository.name = gh.repo;
  payload.repository.full_name = `${gh.owner}/${gh.repo}`;
  payload.repository.owner.login = gh.owner;
  return payload;
}

export function commentPayload(gh: FakeGitHub, body: string, opts: { login?: string; issue?: number; action?: 'created' | 'edited'; from?: string; pr?: boolean; botSender?: boolean } = {}): Record<string, any> {
  const p = forRepo(examplePayload('issue_comment', opts.action ?? 'created', (e) => Boolean(e.comment?.user)), gh);
  const login = opts.login ?? 'maintainer';
  p.comment.body = body;
  p.comment.user.login = login;
  p.sender.login = login;
  if (opts.botSender) {
    p.comment.user.type = 'Bot';
    p.sender.type = 'Bot';
  }
  if (opts.issue !== undefined) p.issue.number = opts.issue;
  if (opts.pr) p.issue.pull_request = { url: `https://api.github.com/repos/${gh.owner}/${gh.repo}/pulls/${p.issue.number}` };
  else delete p.issue.pull_request;
  if (opts.action === 'edited') p.changes = opts.from === undefined ? {} : { body: { from: opts.from } };
  return p;
}

export function pushPayload(gh: FakeGitHub, ref: string, before: string, commits: { id: string; message: string }[]): Record<string, any> {
  const p = forRepo(examplePayload('push', undefined, (e) => e.ref === 'refs/heads/master' && e.commits.length > 0), gh);
  const template = p.commits[0];
  p.ref = ref;
  p.before = before;
  p.after = commits.at(-1)?.id ?? before;
  p.commits = commits.map((c) => ({ ...template, id: c.id, tree_id: c.id, message: c.message }));
  p.head_commit = p.commits.at(-1) ?? null;
  return p;
}

export function issuePayload(gh: FakeGitHub, title: string, body: string, opts: { login?: string; number?: number; action?: 'opened' | 'edited'; from?: string } = {}): Record<string, any> {
  const p = forRepo(examplePayload('issues', opts.action ?? 'opened'), gh);
  const login = opts.login ?? 'maintainer';
  p.issue.title = title;
  p.issue.body = body;
  if (opts.number !== undefined) p.issue.number = opts.number;
  p.sender.login = login;
  p.issue.user.login = login;
  if (opts.action === 'edited') p.changes = opts.from === undefined ? {} : { body: { from: opts.from } };
  return p;
}
