/**
 * The one pipeline behind both front doors (CLI and App): intake -> provenance -> backport per branch.
 * (Being written by the lead; signatures are stable.)
 */
import { backportToBranch, type BackportContext } from '../backport/branch.ts';
import type { BackportReport, BranchResult } from '../core/backport.ts';
import type { Person } from '../core/candidate.ts';
import type { Provenance } from '../core/provenance.ts';
import { analyzeFix } from '../provenance/analyze.ts';
import { selectBranches } from './branches.ts';
import { prepareCandidate, type Candidate } from './candidate.ts';

/** A commit of the repository, or a mail (one message, or the `index`-th message of an mbox). */
export type PipelineInput = { kind: 'commit'; rev: string } | { kind: 'mail'; text: string; index?: number };

export interface PipelineOptions {
  repoDir: string;
  input: PipelineInput;
  /** explicit stable branches, or glob patterns like "linux-*.y" (default) */
  branches?: string[];
  /** mainline branch (default "master") */
  upstreamBranch?: string;
  dryRun?: boolean;
  /** committer identity of backport commits (default: stablebot <stablebot@users.noreply.github.com>) */
  committer?: Person;
  /** Signed-off-by added to backport commits (default: the committer) */
  signoff?: Person;
}

export async function analyze(opts: PipelineOptions): Promise<Provenance> {
  const c = await prepareCandidate(opts);
  try {
    return await analyzeFix(c.ctx, c.fix);
  } finally {
    c.close();
  }
}

export const DEFAULT_IDENTITY: Person = { name: 'stablebot', email: 'stablebot@users.noreply.github.com' };

/** Analyze, then backport to every affected branch (or only `onlyBranches`), one result per branch. */
export async function backport(opts: PipelineOptions & { onlyBranches?: string[] }): Promise<BackportReport> {
  const c = await prepareCandidate(opts);
  try {
    return await backportCandidate(c, opts);
  } finally {
    c.close();
  }
}

async function backportCandidate(c: Candidate, opts: PipelineOptions & { onlyBranches?: string[] }): Promise<BackportReport> {
  const provenance = await analyzeFix(c.ctx, c.fix);
  const committer = opts.committer ?? DEFAULT_IDENTITY;
  const ctx: BackportContext = {
    git: c.ctx.git,
    upstreamBranch: c.ctx.upstreamBranch,
    references: c.ctx.references,
    dryRun: opts.dryRun ?? false,
    committer,
    signoff: opts.signoff ?? committer,
  };
  const results: BranchResult[] = [];
  const only = opts.onlyBranches?.length ? new Set(await selectBranches(c.ctx.git, opts.onlyBranches)) : null;
  for (const verdict of provenance.branches) {
    if (only && !only.has(verdict.branch)) continue;
    results.push(await backportToBranch(ctx, c.fix, provenance, verdict));
  }
  return { provenance, results };
}

export { renderReport, renderBranchReport } from '../report/backport.ts';
