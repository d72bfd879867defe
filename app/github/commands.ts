/**
 * Slash-commands in issue and pull-request comments. A PURE parser: text in, typed commands (or one clear error per
 * bad line) out. No git, no GitHub: the handler adds the checks that need them (git check-ref-format, permissions).
 *
 * Grammar (one command per line, at the start of the line; several per comment):
 *   /backport <sha|this|path.mbox|path.patch> [to] <branch>[,] <branch>...
 *   /backport analyze <sha>
 *   /backport skip <branch> <reason...>
 *   /backport retry [<branch>]
 *   /backport help
 *   /backport sweep
 * Lines inside ``` / ~~~ fences, indented code blocks and `>` quotes are not commands: people quote commands when
 * they discuss them.
 */

export type BackportTarget =
  | { kind: 'sha'; sha: string }
  /** the PR's merge commit, or the mail pasted in the issue body */
  | { kind: 'this' }
  /** an mbox or patch file in the repository, read through the contents API */
  | { kind: 'file'; path: string };

export type Command =
  | { type: 'backport'; target: BackportTarget; branches: string[] }
  | { type: 'analyze'; sha: string }
  | { type: 'skip'; branch: string; reason: string }
  | { type: 'retry'; branch: string | null }
  | { type: 'help' }
  | { type: 'sweep' };

export type ParsedLine =
  | { ok: true; line: string; command: Command }
  | { ok: false; line: string; error: string };

const PREFIX = '/backport';
const SHA = /^[0-9a-f]{7,40}$/;
/** Conservative on purpose: what kernel stable branches look like. git check-ref-format runs on top of this. */
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/+-]*$/;
const FILE = /^[A-Za-z0-9_][A-Za-z0-9_./+-]*\.(mbox|patch|eml)$/;
const MAX_BRANCHES = 20;
const MAX_REASON = 500;

/** Why a token is refused, in words a commenter understands; null when it is acceptable as a branch name. */
export function branchProblem(token: string): string | null {
  if (token.length === 0) return 'empty branch name';
  if (token.length > 200) return 'branch name too long';
  if (token.startsWith('-')) return `${JSON.stringify(token)} looks like an option, not a branch`;
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(token)) return `${JSON.stringify(token)} contains a control character or line break`;
  if (/[;&|$`\\<>(){}*?[\]~^:'"!#%=@]/.test(token)) return `${JSON.stringify(token)} contains characters not allowed in a branch name`;
  if (token.includes('..') || token.startsWith('/') || token.endsWith('/') || token.includes('//')) {
    return `${JSON.stringify(token)} is not a valid branch name (path escape or empty component)`;
  }
  if (token.endsWith('.lock') || token.endsWith('.')) return `${JSON.stringify(token)} is not a valid branch name`;
  if (!BRANCH.test(token)) return `${JSON.stringify(token)} is not a valid branch name`;
  return null;
}

export function fileProblem(token: string): string | null {
  if (token.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    return `${JSON.stringify(token)} is not a plain repository path`;
  }
  if (!FILE.test(token)) return `${JSON.stringify(token)} is not a repository path to a .mbox, .patch or .eml file`;
  return null;
}

/** The lines of a comment that may hold commands: outside code fences, indented code and quotes. */
export function commandLines(body: string): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  for (const raw of body.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      // a fence closes with the same character, at least as long
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length && line.trim() === fenceMatch[1]) {
        fence = null;
      }
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    if (/^ {0,3}>/.test(line)) continue;
    if (/^( {4}|\t)/.test(line)) continue;
    if (line.trimStart().startsWith(PREFIX)) out.push(line.trimStart());
  }
  return out;
}

function splitArgs(rest: string): string[] {
  return rest
    .split(/[ \t]+/)
    .flatMap((t) => t.split(','))
    .filter((t) => t.length > 0);
}

function parseBranches(tokens: string[]): { branches: string[] } | { error: string } {
  const list = tokens[0] === 'to' ? tokens.slice(1) : tokens;
  if (list.length > MAX_BRANCHES) return { error: `at most ${MAX_BRANCHES} branches per command` };
  for (const b of list) {
    const problem = branchProblem(b);
    if (problem) return { error: problem };
  }
  return { branches: [...new Set(list)] };
}

/** Parse one line that starts with `/backport`. */
export function parseCommandLine(line: string): ParsedLine {
  const fail = (error: string): ParsedLine => ({ ok: false, line, error });
  const ok = (command: Command): ParsedLine => ({ ok: true, line, command });
  const rest = line.slice(PREFIX.length);
  if (rest.length > 0 && !/^[ \t]/.test(rest)) return fail(`unknown command ${JSON.stringify(line.split(/\s/)[0])}`);
  // Unicode line separators and other control characters never belong in a command: refuse the whole line.
  if (/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029]/.test(rest)) return fail('the command contains a control character or line break');
  const tokens = splitArgs(rest.trim());
  if (tokens.length === 0) return fail('missing arguments: try `/backport help`');
  const [head, ...args] = tokens;
  switch (head) {
    case 'help':
      return args.length === 0 ? ok({ type: 'help' }) : fail('`/backport help` takes no arguments');
    case 'sweep':
      return args.length === 0 ? ok({ type: 'sweep' }) : fail('`/backport sweep` takes no arguments');
    case 'analyze': {
      if (args.length !== 1) return fail('usage: `/backport analyze <sha>`');
      const sha = args[0].toLowerCase();
      return SHA.test(sha) ? ok({ type: 'analyze', sha }) : fail(`not a commit id: ${JSON.stringify(args[0])} (7 to 40 hex digits)`);
    }
    case 'skip': {
      // the reason is free text: take it from the raw line, not from the comma-split tokens
      const m = /^[ \t]*skip[ \t]+(\S+)[ \t]+(\S.*)$/.exec(rest);
      if (!m) return fail('usage: `/backport skip <branch> <reason>` (a reason is required)');
      const problem = branchProblem(m[1]);
      if (problem) return fail(problem);
      const reason = m[2].trim();
      if (reason.length > MAX_REASON) return fail(`the reason is longer than ${MAX_REASON} characters`);
      return ok({ type: 'skip', branch: m[1], reason });
    }
    case 'retry': {
      if (args.length > 1) return fail('usage: `/backport retry [<branch>]`');
      if (args.length === 0) return ok({ type: 'retry', branch: null });
      const problem = branchProblem(args[0]);
      return problem ? fail(problem) : ok({ type: 'retry', branch: args[0] });
    }
    default: {
      let target: BackportTarget;
      if (head === 'this') target = { kind: 'this' };
      else if (SHA.test(head.toLowerCase())) target = { kind: 'sha', sha: head.toLowerCase() };
      else if (/\.(mbox|patch|eml)$/.test(head) || head.includes('/')) {
        const problem = fileProblem(head);
        if (problem) return fail(problem);
        target = { kind: 'file', path: head };
      } else if (head.startsWith('-')) {
        return fail(`${JSON.stringify(head)} looks like an option, not a commit`);
      } else {
        return fail(`unknown command or not a commit id: ${JSON.stringify(head)}; try \`/backport help\``);
      }
      const parsed = parseBranches(args);
      if ('error' in parsed) return fail(parsed.error);
      return ok({ type: 'backport', target, branches: parsed.branches });
    }
  }
}

/** Every command line of a comment, parsed; lines that are not commands are not returned. */
export function parseCommands(body: string): ParsedLine[] {
  return commandLines(body).map(parseCommandLine);
}

/**
 * The command lines of an edited comment that were not already in its previous text: an edit that fixes a typo
 * in the prose must not re-run the commands it already ran.
 */
export function newCommandLines(body: string, previous: string | undefined): ParsedLine[] {
  const before = new Set(previous === undefined ? [] : commandLines(previous));
  return commandLines(body)
    .filter((l) => !before.has(l))
    .map(parseCommandLine);
}

export const HELP_TEXT = [
  '**stablebot commands** (one per line, at the start of a line):',
  '',
  '| command | what it does |',
  '|---|---|',
  '| `/backport <sha> [to] <branch>...` | backport an upstream commit to the named stable branches (all configured ones when none is named) |',
  '| `/backport this [to] <branch>...` | on a merged PR: its merge commit; on an issue: the patch mail pasted in the issue |',
  '| `/backport path/to/x.mbox to <branch>` | backport a mail (mbox/patch file) stored in this repository |',
  '| `/backport analyze <sha>` | report which stable branches are affected, without pushing anything |',
  '| `/backport skip <branch> <reason>` | mark a branch as skipped for the candidates summarised here |',
  '| `/backport retry [<branch>]` | re-run the candidates summarised here (one branch or all) |',
  '| `/backport sweep` | list stable candidates among recent upstream commits |',
  '| `/backport help` | this text |',
  '',
  'Only people with write, maintain or admin permission on the repository can run commands.',
].join('\n');
