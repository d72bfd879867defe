/**
 * Which pushed upstream commits are stable candidates: `Cc: stable@…` (never `stable+noautosel`), or a `Fixes:`
 * whose introducing commit is contained in one of the configured stable branches.
 */
import { parseTrailers } from '../intake/trailers.ts';
import type { Git } from '../git/git.ts';

export interface Candidate {
  sha: string;
  subject: string;
  why: 'cc-stable' | 'fixes';
  /** for 'fixes': stable branches that contain the introducing commit */
  branches: string[];
}

const ZERO = /^0{40}$/;
const MAX_COMMITS = 1000;

/** Cheap pre-filter on the push payload's messages: anything that could be a candidate at all. */
export function mayBeCandidate(message: string): boolean {
  const t = parseTrailers(message);
  if (t.stable.some((s) => s.noautosel)) return false;
  return t.stable.length > 0 || t.fixes.length > 0;
}

/** Commits of the push, oldest first: before..after when `before` is known locally, the payload's ids otherwise. */
export async function pushedCommits(git: Git, before: string, after: string, payloadShas: string[]): Promise<string[]> {
  if (!ZERO.test(before) && (await git.tryResolve(before))) {
    const out = await git.out(['rev-list', '--reverse', `--max-count=${MAX_COMMITS}`, `${before}..${after}`]);
    return out.split('\n').filter(Boolean);
  }
  const shas: string[] = [];
  for (const s of payloadShas) {
    if (/^[0-9a-f]{40}$/.test(s) && (await git.tryResolve(s))) shas.push(s);
  }
  return shas;
}

export async function stableCandidates(git: Git, shas: string[], stableBranches: string[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const patterns = stableBranches.map((b) => `refs/heads/${b}`);
  for (const sha of shas) {
    const message = await git.out(['log', '-1', '--format=%B', sha, '--']);
    const subject = message.split('\n')[0];
    const t = parseTrailers(message);
    if (t.stable.some((s) => s.noautosel)) continue;
    if (t.stable.length > 0) {
      out.push({ sha, subject, why: 'cc-stable', branches: [] });
      continue;
    }
    const branches = new Set<string>();
    for (const fix of t.fixes) {
      if (!/^[0-9a-f]{7,40}$/i.test(fix.sha)) continue;
      const introducer = await git.tryResolve(fix.sha);
      if (!introducer) continue;
      const refs = await git.out(['for-each-ref', `--contains=${introducer}`, '--format=%(refname:short)', ...patterns]);
      for (const b of refs.split('\n').filter(Boolean)) branches.add(b);
    }
    if (branches.size > 0) out.push({ sha, subject, why: 'fixes', branches: [...branches].sort() });
  }
  return out;
}
