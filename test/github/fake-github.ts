/**
 * A small stateful GitHub for tests, reached through a custom `fetch` given to Octokit. Every request is first
 * validated against GitHub's OpenAPI description (test/github/openapi.ts); a request outside the spec, or one this
 * fake does not serve, is recorded in `violations` and answered 500 — tests assert `violations` is empty.
 * Replies start from the spec's own examples and change only the fields that carry this fake's state.
 */
import { Git } from '../../app/git/git.ts';
import { type ApiCall, githubApi, SpecViolation } from './openapi.ts';

type Json = Record<string, any>;

export interface FakePull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  labels: string[];
}
export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
}
export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  login: string;
}
export interface FakeCheckRun {
  id: number;
  name: string;
  headSha: string;
  conclusion: string;
  title: string;
  summary: string;
}

export interface FakeOptions {
  owner?: string;
  repo?: string;
  /** the bare repository standing for GitHub's copy: PR heads and bases must exist there, as on GitHub */
  bareDir?: string;
  /** slow every reply down, to widen race windows */
  delayMs?: number;
}

export class FakeGitHub {
  readonly api = githubApi();
  readonly calls: ApiCall[] = [];
  readonly violations: string[] = [];
  readonly files = new Map<string, string>();
  readonly permissions = new Map<string, string>();
  readonly pulls: FakePull[] = [];
  readonly issues: FakeIssue[] = [];
  readonly comments: FakeComment[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  readonly tokensIssued: string[] = [];
  botLogin = 'stablebot[bot]';
  private nextNumber = 100;
  private nextId = 5000;
  readonly owner: string;
  readonly repo: string;

  constructor(private readonly opts: FakeOptions = {}) {
    this.owner = opts.owner ?? 'Codertocat';
    this.repo = opts.repo ?? 'Hello-World';
  }

  /** issues and PRs share one number sequence, as on GitHub */
  addIssue(title: string, body: string): FakeIssue {
    const issue: FakeIssue = { number: this.nextNumber++, title, body, labels: [], state: 'open' };
    this.issues.push(issue);
    return issue;
  }

  addPull(p: Partial<FakePull> & { head: string; base: string }): FakePull {
    const pull: FakePull = { number: this.nextNumber++, title: 't', body: '', state: 'open', merged: false, mergeCommitSha: null, labels: [], ...p };
    this.pulls.push(pull);
    return pull;
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const bodyText = typeof init?.body === 'string' ? init.body : init?.body ? String(init.body) : null;
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
    let call: ApiCall;
    try {
      call = this.api.validate(method, url, bodyText);
    } catch (e) {
      const message = e instanceof SpecViolation ? e.message : `validator crashed: ${String(e)}`;
      this.violations.push(message);
      return json(500, { message });
    }
    this.calls.push(call);
    if (process.env.FAKE_GH_TRACE) console.log(Date.now() % 100000, call.operationId);
    try {
      return await this.route(call, headers);
    } catch (e) {
      const message = `fake GitHub failed on ${call.operationId}: ${e instanceof Error ? e.stack : String(e)}`;
      this.violations.push(message);
      return json(500, { message });
    }
  };

  /** Operation ids called, in order (for assertions). */
  called(operationId: string): ApiCall[] {
    return this.calls.filter((c) => c.operationId === operationId);
  }

  private async branchExists(name: string): Promise<boolean> {
    if (!this.opts.bareDir) return true;
    return new Git(this.opts.bareDir).ok(['show-ref', '--verify', '--quiet', `refs/heads/${name}`]);
  }

  private pullJson(p: FakePull, status = 200): Json {
    const base = this.api.example('pulls/get', status === 201 ? 200 : 200);
    return {
      ...base,
      number: p.number,
      id: p.number * 10,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${p.number}`,
      url: `https://api.github.com/repos/${this.owner}/${this.repo}/pulls/${p.number}`,
      title: p.title,
      body: p.body,
      state: p.state,
      merged: p.merged,
      merged_at: p.merged ? '2026-01-01T00:00:00Z' : null,
      merge_commit_sha: p.mergeCommitSha,
      labels: p.labels.map((name, i) => this.labelJson(name, i)),
      head: { ...base.head, ref: p.head, label: `${this.owner}:${p.head}` },
      base: { ...base.base, ref: p.base, label: `${this.owner}:${p.base}` },
    };
  }

  private labelJson(name: string, i: number): Json {
    return { ...this.api.example('issues/get-label'), id: i + 1, name };
  }

  private issueJson(i: FakeIssue): Json {
    const base = this.api.example('issues/get');
    const pull = this.pulls.find((p) => p.number === i.number);
    const out: Json = {
      ...base,
      number: i.number,
      id: i.number * 10,
      title: i.title,
      body: i.body,
      state: i.state,
      html_url: `https://github.com/${this.owner}/${this.repo}/issues/${i.number}`,
      labels: i.labels.map((name, n) => this.labelJson(name, n)),
    };
    if (!pull) delete out.pull_request;
    return out;
  }

  private commentJson(c: FakeComment): Json {
    const base = this.api.example('issues/get-comment');
    return { ...base, id: c.id, body: c.body, user: { ...base.user, login: c.login, type: 'Bot' }, html_url: `https://github.com/${this.owner}/${this.repo}/issues/${c.issue}#issuecomment-${c.id}` };
  }

  private checkJson(c: FakeCheckRun): Json {
    const base = this.api.example('checks/get');
    return { ...base, id: c.id, name: c.name, head_sha: c.headSha, status: 'completed', conclusion: c.conclusion, output: { ...base.output, title: c.title, summary: c.summary } };
  }

  private async route(call: ApiCall, headers: Headers): Promise<Response> {
    const b = (call.body ?? {}) as Json;
    const n = (k: string) => Number(call.path[k]);
    switch (call.operationId) {
      case 'apps/create-installation-access-token': {
        const token = `ghs_fake${this.tokensIssued.length}${'x'.repeat(28)}`;
        this.tokensIssued.push(token);
        return json(201, { ...this.api.example(call.operationId, 201), token, expires_at: new Date(Date.now() + 3600e3).toISOString() });
      }
      case 'repos/get-content': {
        const text = call.path.repo === this.repo ? this.files.get(call.path.path) : undefined;
        if (text === undefined) return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
        if ((headers.get('accept') ?? '').includes('raw')) {
          return new Response(text, { status: 200, headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } });
        }
        const base = this.api.example(call.operationId);
        return json(200, { ...base, type: 'file', encoding: 'base64', path: call.path.path, name: call.path.path.split('/').pop(), content: Buffer.from(text).toString('base64'), size: text.length });
      }
      case 'repos/get-collaborator-permission-level': {
        const permission = this.permissions.get(call.path.username);
        if (!permission) return json(404, { message: 'Not Found' });
        const base = this.api.example(call.operationId);
        const legacy = permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission;
        return json(200, { ...base, permission: legacy, role_name: permission, user: { ...base.user, login: call.path.username } });
      }
      case 'pulls/list': {
        const state = call.query.state ?? 'open';
        const head = call.query.head;
        const list = this.pulls.filter(
          (p) => (state === 'all' || p.state === state) && (!head || `${this.owner}:${p.head}` === head) && (!call.query.base || p.base === call.query.base),
        );
        return json(200, list.map((p) => this.pullJson(p)));
      }
      case 'pulls/create': {
        if (!(await this.branchExists(b.head)) || !(await this.branchExists(b.base))) {
          return json(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] });
        }
        if (this.pulls.some((p) => p.head === b.head && p.base === b.base && p.state === 'open')) {
          return json(422, { message: `Validation Failed: A pull request already exists for ${this.owner}:${b.head}.` });
        }
        const pull = this.addPull({ head: b.head, base: b.base, title: b.title, body: b.body ?? '' });
        return json(201, this.pullJson(pull, 201));
      }
      case 'pulls/get':
      case 'pulls/update': {
        const pull = this.pulls.find((p) => p.number === n('pull_number'));
        if (!pull) return json(404, { message: 'Not Found' });
        if (call.operationId === 'pulls/update') {
          if (b.title !== undefined) pull.title = b.title;
          if (b.body !== undefined) pull.body = b.body;
        }
        return json(200, this.pullJson(pull));
      }
      case 'issues/add-labels': {
        const target = this.pulls.find((p) => p.number === n('issue_number')) ?? this.issues.find((i) => i.number === n('issue_number'));
        if (!target) return json(404, { message: 'Not Found' });
        for (const l of b.labels as string[]) if (!target.labels.includes(l)) target.labels.push(l);
        return json(200, target.labels.map((name, i) => this.labelJson(name, i)));
      }
      case 'issues/list-comments':
        return json(200, this.comments.filter((c) => c.issue === n('issue_number')).map((c) => this.commentJson(c)));
      case 'issues/create-comment': {
        const c: FakeComment = { id: this.nextId++, issue: n('issue_number'), body: b.body, login: this.botLogin };
        this.comments.push(c);
        return json(201, this.commentJson(c));
      }
      case 'issues/update-comment': {
        const c = this.comments.find((x) => x.id === n('comment_id'));
        if (!c) return json(404, { message: 'Not Found' });
        c.body = b.body;
        return json(200, this.commentJson(c));
      }
      case 'issues/list-for-repo': {
        const labels = call.query.labels ? call.query.labels.split(',') : [];
        const list = this.issues.filter((i) => labels.every((l) => i.labels.includes(l)));
        return json(200, list.map((i) => this.issueJson(i)));
      }
      case 'issues/create': {
        const issue = this.addIssue(b.title, b.body ?? '');
        issue.labels = [...((b.labels as string[]) ?? [])];
        return json(201, this.issueJson(issue));
      }
      case 'issues/update': {
        const issue = this.issues.find((i) => i.number === n('issue_number'));
        if (!issue) return json(404, { message: 'Not Found' });
        if (b.title !== undefined) issue.title = b.title;
        if (b.body !== undefined) issue.body = b.body;
        if (b.state !== undefined) issue.state = b.state;
        return json(200, this.issueJson(issue));
      }
      case 'issues/get': {
        const issue = this.issues.find((i) => i.number === n('issue_number'));
        return issue ? json(200, this.issueJson(issue)) : json(404, { message: 'Not Found' });
      }
      case 'checks/list-for-ref': {
        const runs = this.checkRuns.filter((c) => c.headSha === call.path.ref && (!call.query.check_name || c.name === call.query.check_name));
        return json(200, { total_count: runs.length, check_runs: runs.map((c) => this.checkJson(c)) });
      }
      case 'checks/create': {
        const run: FakeCheckRun = { id: this.nextId++, name: b.name, headSha: b.head_sha, conclusion: b.conclusion, title: b.output?.title ?? '', summary: b.output?.summary ?? '' };
        this.checkRuns.push(run);
        return json(201, this.checkJson(run));
      }
      case 'checks/update': {
        const run = this.checkRuns.find((c) => c.id === n('check_run_id'));
        if (!run) return json(404, { message: 'Not Found' });
        if (b.conclusion) run.conclusion = b.conclusion;
        if (b.output) Object.assign(run, { title: b.output.title, summary: b.output.summary });
        return json(200, this.checkJson(run));
      }
      default:
        throw new Error(`this fake does not serve ${call.operationId}`);
    }
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
