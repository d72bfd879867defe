/**
 * Recovering the exact diff of a whitespace-damaged mail. Exact sources first (the upstream commit by id, then by
 * subject and author), then rebuilding from real files (a branch that already carries the fix, then the target
 * branch's lines with the added lines' indentation inferred). Refuses rather than guesses.
 */
import type { ParsedMail } from '../core/candidate.ts';
import { StablebotError } from '../core/errors.ts';
import { filePath, type FilePatch } from '../core/patch.ts';
import { isFullSha, type Git } from '../git/git.ts';
import { norm, placeHunk } from './align.ts';
import { readCommit } from './commit.ts';
import { rebuildFromFixed, rebuildFromTarget, splitFile, type FileLines, type RemovedOrigin } from './rebuild.ts';

export type RecoveryMethod = 'not-damaged' | 'upstream-commit' | 'upstream-by-subject' | 'fixed-branch-post-image' | 'target-lines';

export interface Recovery {
  files: FilePatch[];
  method: RecoveryMethod;
  confidence: 'exact' | 'high';
  /** a commit SHA (upstream methods), a branch name (branch methods) or "mail" */
  source: string;
  notes: string[];
}

export interface RecoverOptions {
  branches: string[];
  /** the mainline branch, searched first by subject */
  upstreamRef?: string;
}

/** Bound on commits examined by subject: a subject search over all refs can return many backports. */
const SUBJECT_CANDIDATES = 20;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function damagedSentence(mail: ParsedMail): string {
  return `diff was whitespace-damaged (${plural(mail.damage.reasons.length, 'reason')})`;
}

/** +/- lines per file, whitespace removed: what a damaged diff still says exactly. */
function changeSignature(files: FilePatch[]): Map<string, string[]> {
  const sig = new Map<string, string[]>();
  for (const f of files) {
    const lines = sig.get(filePath(f)) ?? [];
    for (const h of f.hunks) for (const l of h.lines) if (l.op !== ' ') lines.push(l.op + norm(l.text));
    sig.set(filePath(f), lines);
  }
  return sig;
}

/** Same files and the same added/removed lines modulo whitespace. */
export function sameChanges(a: FilePatch[], b: FilePatch[]): boolean {
  const sa = changeSignature(a);
  const sb = changeSignature(b);
  if (sa.size !== sb.size) return false;
  for (const [path, lines] of sa) {
    const other = sb.get(path);
    if (!other || other.length !== lines.length || other.some((l, i) => l !== lines[i])) return false;
  }
  return true;
}

async function commitMatching(git: Git, sha: string, mail: ParsedMail): Promise<FilePatch[] | null> {
  const commit = await readCommit(git, sha).catch((e: unknown) => {
    if (e instanceof StablebotError) return null;
    throw e;
  });
  if (!commit || !sameChanges(mail.files, commit.files)) return null;
  return commit.files;
}

function sameAuthor(mail: ParsedMail, name: string, email: string): boolean {
  if (!mail.author) return true;
  const n = mail.author.name.trim().toLowerCase();
  if (n && n === name.trim().toLowerCase()) return true;
  const e = mail.author.email.trim().toLowerCase();
  // web archives obfuscate addresses (kch@xxxxxxxxxx): only a real address can confirm
  return Boolean(e) && !/@x+(\.|$)/.test(e) && e === email.trim().toLowerCase();
}

/** Commits with the mail's subject and author: on the upstream branch first, then (only if needed) on every ref. */
async function* commitsBySubject(git: Git, mail: ParsedMail, upstreamRef: string | undefined, exclude: string | undefined): AsyncGenerator<string> {
  const scopes: string[][] = [];
  if (upstreamRef && (await git.tryResolve(upstreamRef))) scopes.push(['--end-of-options', upstreamRef]);
  scopes.push(['--all']);
  const seen = new Set<string>();
  for (const scope of scopes) {
    const all = scope[0] === '--all';
    const out = await git.out(
      [
        'log',
        ...(all ? ['--all'] : []),
        '--no-merges',
        `-n${SUBJECT_CANDIDATES}`,
        '--fixed-strings',
        `--grep=${mail.subject}`,
        '--format=%H%x00%an%x00%ae%x00%s',
        ...(all ? [] : scope),
        '--',
      ],
      { allowFail: true },
    );
    for (const line of out.split('\n')) {
      const [sha, name, email, subject] = line.split('\0');
      if (!sha || !isFullSha(sha) || seen.has(sha) || sha === exclude) continue;
      seen.add(sha);
      if (subject === mail.subject && sameAuthor(mail, name ?? '', email ?? '')) yield sha;
    }
  }
}

function columnZeroKnown(mail: ParsedMail): boolean {
  return mail.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.op !== ' ' && /^\s/.test(l.text))));
}

async function readAt(git: Git, rev: string, path: string): Promise<FileLines | null> {
  const content = await git.show(rev, path);
  return content === null ? null : splitFile(content);
}

/** The parent of the commit that last added `needle` to `path` on `branch`: it still has the pre-image. */
async function fixParent(git: Git, branch: string, path: string, needle: string): Promise<string | null> {
  if (!needle) return null;
  const out = await git.out(['log', '-1', '--format=%H', `-S${needle}`, '--end-of-options', branch, '--', path], { allowFail: true });
  const sha = out.trim();
  return isFullSha(sha) ? sha : null;
}

/** What the notes say about where the removed lines of a fixed-branch rebuild came from. */
function removedSentence(o: RemovedOrigin): string {
  const parts: string[] = [];
  if (o.verbatim) parts.push(`${plural(o.verbatim, 'removed line')} copied verbatim from ${o.sources.join(' and ')}, which still ${o.sources.length === 1 ? 'has' : 'have'} the old code`);
  if (o.inferred) parts.push(`the indentation of ${plural(o.inferred, 'removed line')} inferred from the added lines replacing them and the braces around them`);
  return parts.join('; ') || 'no removed lines';
}

async function tryFixedBranches(git: Git, mail: ParsedMail, branches: string[], tried: string[]): Promise<Recovery | null> {
  const zeroKnown = columnZeroKnown(mail);
  for (const branch of branches) {
    const files: FilePatch[] = [];
    const origin: RemovedOrigin = { verbatim: 0, inferred: 0, sources: [] };
    let ok = true;
    for (const mf of mail.files) {
      const fixed = await readAt(git, branch, filePath(mf));
      if (!fixed) {
        ok = false;
        break;
      }
      // the branch carries the fix when every hunk's post-image is there and none of the pre-images is
      const carries =
        mf.hunks.every((h) => placeHunk(h, fixed.lines, 'post').length > 0) &&
        mf.hunks.every((h) => placeHunk(h, fixed.lines, 'pre').length === 0);
      if (!carries) {
        ok = false;
        break;
      }
      const sources: { label: string; file: FileLines }[] = [];
      const added = mf.hunks.flatMap((h) => h.lines.filter((l) => l.op === '+').map((l) => l.text.trim()));
      const needle = added.sort((a, b) => b.length - a.length)[0] ?? '';
      const exactNeedle = fixed.lines.find((l) => norm(l) === norm(needle))?.trim() ?? '';
      const parent = await fixParent(git, branch, filePath(mf), exactNeedle);
      if (parent) {
        const before = await readAt(git, `${parent}^`, mf.oldPath ?? filePath(mf));
        if (before) sources.push({ label: `the parent of ${parent.slice(0, 12)} on ${branch}`, file: before });
      }
      for (const other of branches) {
        if (other === branch) continue;
        const f = await readAt(git, other, mf.oldPath ?? filePath(mf));
        if (f) sources.push({ label: other, file: f });
      }
      const r = rebuildFromFixed(mf, fixed, branch, sources, zeroKnown);
      if (!r.ok) {
        tried.push(r.reason);
        ok = false;
        break;
      }
      files.push(r.patch);
      if (r.removed) {
        origin.verbatim += r.removed.verbatim;
        origin.inferred += r.removed.inferred;
        for (const s of r.removed.sources) if (!origin.sources.includes(s)) origin.sources.push(s);
      }
    }
    if (ok && files.length === mail.files.length) {
      return {
        files,
        method: 'fixed-branch-post-image',
        confidence: 'high',
        source: branch,
        notes: [
          `${damagedSentence(mail)}; rebuilt from ${branch}, which already carries the fix: context and added lines taken exactly from its file (the post-image)`,
          `removed lines: ${removedSentence(origin)}`,
        ],
      };
    }
  }
  return null;
}

async function tryTargetLines(git: Git, mail: ParsedMail, branches: string[], tried: string[]): Promise<Recovery | null> {
  const zeroKnown = columnZeroKnown(mail);
  for (const branch of branches) {
    const files: FilePatch[] = [];
    let inferred = 0;
    let placedByStyle = 0;
    let failed = false;
    for (const mf of mail.files) {
      const file = await readAt(git, branch, mf.oldPath ?? filePath(mf));
      if (!file) {
        tried.push(`${filePath(mf)} does not exist at ${branch}`);
        failed = true;
        break;
      }
      const r = rebuildFromTarget(mf, file, branch, zeroKnown);
      if (!r.ok) {
        tried.push(r.reason);
        failed = true;
        break;
      }
      files.push(r.patch);
      inferred += r.inferred;
      placedByStyle += r.placedByStyle ?? 0;
    }
    if (!failed) {
      return {
        files,
        method: 'target-lines',
        confidence: 'high',
        source: branch,
        notes: [
          `${damagedSentence(mail)}; rebuilt from the lines of ${branch}: context and removed lines are exact, the indentation of ${plural(inferred, 'added line')} was inferred`,
          ...(placedByStyle
            ? [`dropped blank lines next to added lines in ${plural(placedByStyle, 'hunk')} were placed where the kernel coding style puts them`]
            : []),
        ],
      };
    }
  }
  return null;
}

export async function recoverDiff(mail: ParsedMail, git: Git, opts: RecoverOptions): Promise<Recovery> {
  if (!mail.damage.damaged) {
    return { files: mail.files, method: 'not-damaged', confidence: 'exact', source: 'mail', notes: ['diff was not whitespace-damaged; used as found in the mail'] };
  }
  if (mail.files.length === 0) throw new StablebotError('unrecoverable-diff', `the mail "${mail.subject}" carries no diff to recover`);
  const tried: string[] = [];

  const upstreamSha = mail.upstream?.sha;
  if (upstreamSha && isFullSha(upstreamSha)) {
    const resolved = await git.tryResolve(upstreamSha);
    if (!resolved) tried.push(`upstream commit ${upstreamSha.slice(0, 12)} is not in the repository`);
    else {
      const files = await commitMatching(git, resolved, mail);
      if (files) {
        return {
          files,
          method: 'upstream-commit',
          confidence: 'exact',
          source: resolved,
          notes: [`${damagedSentence(mail)}; recovered exactly from upstream commit ${resolved.slice(0, 12)}`],
        };
      }
      tried.push(`upstream commit ${resolved.slice(0, 12)} changes other lines than the mail`);
    }
  }

  for await (const sha of commitsBySubject(git, mail, opts.upstreamRef, upstreamSha)) {
    const files = await commitMatching(git, sha, mail);
    if (files) {
      return {
        files,
        method: 'upstream-by-subject',
        confidence: 'exact',
        source: sha,
        notes: [`${damagedSentence(mail)}; recovered exactly from commit ${sha.slice(0, 12)}, found by subject and author`],
      };
    }
    tried.push(`commit ${sha.slice(0, 12)} has the subject but changes other lines`);
  }

  const branches: string[] = [];
  for (const b of opts.branches) {
    // names reach `git cat-file blob <branch>:<path>`: never let one read as an option
    if (!b || b.startsWith('-') || /[\s\0:]/.test(b)) tried.push(`${JSON.stringify(b)} is not a valid branch name`);
    else if (await git.tryResolve(b)) branches.push(b);
    else tried.push(`branch ${b} does not exist`);
  }
  const fixed = await tryFixedBranches(git, mail, branches, tried);
  if (fixed) return fixed;
  const target = await tryTargetLines(git, mail, branches, tried);
  if (target) return target;

  throw new StablebotError(
    'unrecoverable-diff',
    `the diff of "${mail.subject}" is whitespace-damaged and could not be recovered: ${tried.join('; ') || 'no branch to rebuild it from'}`,
  );
}
