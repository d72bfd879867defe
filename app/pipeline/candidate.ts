import { StablebotError } from '../core/errors.ts';
import type { Fix } from '../core/fix.ts';
import { Git } from '../git/git.ts';
import { parseMbox } from '../intake/mail.ts';
import type { AnalyzeContext } from '../provenance/analyze.ts';
import { ReferenceIndex } from '../index/refindex.ts';
import type { PipelineOptions } from './backport.ts';
import { selectBranches } from './branches.ts';
import { fixFromCommit, fixFromMail } from './resolve.ts';

export interface Candidate {
  ctx: AnalyzeContext;
  fix: Fix;
  /** releases the reference index */
  close(): void;
}

/** Validates the repository, the branches and the input, then resolves the fix. Reads only; changes nothing. */
export async function prepareCandidate(opts: PipelineOptions): Promise<Candidate> {
  const git = new Git(opts.repoDir);
  await git.assertRepository();
  const upstreamBranch = opts.upstreamBranch ?? 'master';
  const branches = await selectBranches(git, opts.branches);
  let fix: Fix;
  if (opts.input.kind === 'commit') {
    fix = await fixFromCommit(git, opts.input.rev);
  } else {
    const mails = parseMbox(opts.input.text);
    const mail = mails[opts.input.index ?? 0];
    if (!mail) throw new StablebotError('malformed-mail', 'no patch mail found in the input');
    fix = await fixFromMail(git, mail, { branches, upstreamBranch });
  }
  // opened only once the input is known good: bad input leaves no index behind
  const references = await ReferenceIndex.forRepo(git, { upstreamBranch });
  const ctx: AnalyzeContext = { git, upstreamBranch, branches, references };
  return { ctx, fix, close: () => references.close() };
}
