import type { Adaptation, BranchResult, Failure } from '../core/backport.ts';
import type { Person } from '../core/candidate.ts';
import type { Fix } from '../core/fix.ts';
import { preImage, renderHunk, type FilePatch } from '../core/patch.ts';
import type { BranchVerdict, Evidence, Provenance } from '../core/provenance.ts';
import { assertBranchName, type Git } from '../git/git.ts';
import { GitTree } from '../git/tree.ts';
import { parseDiff } from '../intake/diff.ts';
import { portPatch } from '../apply/engine.ts';
import { interdiff } from '../apply/interdiff.ts';
import { renderNote } from '../rules/note.ts';
import type { ReferenceLookup } from '../provenance/lookup.ts';
import { blameFix } from '../provenance/blame.ts';
import { firstRelease } from '../provenance/release.ts';
import { findBlock } from '../provenance/text.ts';
import { ScratchIndex } from './index-tree.ts';
import { reproductionCommands, stableCommitMessage } from './message.ts';

export interface BackportContext {
  git: Git;
  upstreamBranch: string;
  references: ReferenceLookup;
  dryRun: boolean;
  committer: Person;
  signoff: Person;
}

const short = (s: string) => s.slice(0, 12);

/** stablebot/<stable-branch>/<sha12>, checked by `git check-ref-format`. */
export async function backportBranchName(branch: string, id: string): Promise<string> {
  return assertBranchName(`stablebot/${branch}/${id.slice(0, 12)}`);
}

/** The id naming a candidate: the upstream commit, else the mail's upstream id, else the patch-id. */
export function candidateId(fix: Fix): string {
  return fix.commit ?? fix.upstream.sha ?? fix.patchId ?? 'unknown';
}

function result(branch: string, outcome: BranchResult['outcome'], extra: Partial<BranchResult> = {}): BranchResult {
  return {
    branch,
    outcome,
    backportBranch: null,
    commit: null,
    rules: [],
    adaptations: [],
    interdiff: null,
    method: null,
    commitMessage: null,
    failure: null,
    evidence: [],
    ...extra,
  };
}

/** Fills "introduced by" facts into rule notes: which mainline commit brought in the identifier a rule replaced. */
async function explainAdaptations(ctx: BackportContext, fix: Fix, branch: string, adaptations: Adaptation[]): Promise<Adaptation[]> {
  const out: Adaptation[] = [];
  const base = (await ctx.git.run(['merge-base', ctx.upstreamBranch, branch], { allowFail: true })).stdout.trim();
  for (const a of adaptations) {
    const ident = a.params.from ?? a.params.newSymbol;
    if (!ident || !fix.parent || !base || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(ident)) {
      out.push(a);
      continue;
    }
    const log = await ctx.git.out(['log', '--reverse', '--format=%H%x00%s', `-G(^|[^A-Za-z0-9_])${ident}([^A-Za-z0-9_]|$)`, `${base}..${fix.parent}`, '--', a.file], { allowFail: true });
    const first = log.split('\n').find(Boolean);
    if (!first) {
      out.push(a);
      continue;
    }
    const [sha, subject] = first.split('\0');
    const rel = await firstRelease(ctx.git, sha);
    const introducedBy = ` (introduced by ${short(sha)} ("${subject}")${rel ? ` in ${rel}` : ''})`;
    const params = { ...a.params, introducedBy };
    const note = a.params.noteTemplate?.includes('{introducedBy}') ? renderNote(a.params.noteTemplate, params) : `${a.note}${introducedBy}`;
    out.push({ ...a, note, params: { ...a.params, introducedBy: sha, ...(rel ? { introducedIn: rel } : {}) } });
  }
  return out;
}

/** Commits on mainline since the branch's fork that shaped the failing lines and that the branch lacks. */
async function prerequisites(ctx: BackportContext, fix: Fix, branch: string, files: FilePatch[]): Promise<string[]> {
  if (!fix.parent) return [];
  const blamed = await blameFix(ctx.git, fix.parent, files, true);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const b of blamed) {
    if (seen.has(b.commit)) continue;
    seen.add(b.commit);
    if (await ctx.git.isAncestor(b.commit, branch)) continue;
    if (ctx.references.byUpstream(branch, b.commit).length) continue;
    const subject = (await ctx.git.out(['show', '-s', '--format=%s', b.commit])).trim();
    out.push(`${short(b.commit)} ("${subject}")`);
  }
  return out;
}

async function needsHuman(ctx: BackportContext, fix: Fix, branch: string, tip: string, check: string, reason: string, failing: FilePatch[], evidence: Evidence[]): Promise<BranchResult> {
  const tree = new GitTree(ctx.git, tip, branch);
  const hunks: Failure['hunks'] = [];
  for (const f of failing) {
    const path = (f.oldPath ?? f.newPath) as string;
    const text = await tree.read(path);
    f.hunks.forEach((h, i) => {
      let target: string | null = null;
      if (text !== null) {
        const lines = text.split('\n');
        const anchor = h.lines.filter((l) => l.op !== '+' && l.text.trim()).map((l) => l.text);
        const hits = anchor.length ? findBlock(text, anchor.slice(0, 1)) : [];
        const at = hits.length ? hits[0] : Math.max(0, h.oldStart - 1);
        target = lines.slice(Math.max(0, at - 3), at + h.oldLines + 3).join('\n');
      }
      hunks.push({ file: path, hunk: i + 1, upstream: renderHunk(h).join('\n'), target });
    });
  }
  const upstreamSha = fix.commit ?? fix.upstream.sha;
  return result(branch, 'needs-human', {
    failure: { check, reason, hunks, prerequisites: await prerequisites(ctx, fix, branch, failing), commands: reproductionCommands(branch, upstreamSha) },
    evidence,
  });
}

/** The first hunk whose pre-image (context and removed lines) is not found, unique, on the branch. */
async function contextDrift(tree: GitTree, files: FilePatch[]): Promise<{ file: string; hunk: number } | null> {
  for (const f of files) {
    if (f.oldPath === null) continue;
    const text = await tree.read(f.oldPath);
    if (text === null) return { file: f.oldPath, hunk: 1 };
    for (const [i, h] of f.hunks.entries()) if (findBlock(text, preImage(h)).length !== 1) return { file: f.oldPath, hunk: i + 1 };
  }
  return null;
}

function hasConflictMarkers(files: FilePatch[]): boolean {
  return files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.op === '+' && /^(<{7}|>{7}|={7})( |$)/.test(l.text))));
}

/** Backports one fix to one affected stable branch. Never leaves anything half-done: a ref is written last. */
export async function backportToBranch(ctx: BackportContext, fix: Fix, prov: Provenance, verdict: BranchVerdict): Promise<BranchResult> {
  const { git } = ctx;
  const branch = verdict.branch;
  if (verdict.status === 'already-fixed') return result(branch, 'already-fixed', { evidence: verdict.evidence });
  if (verdict.status === 'not-affected') return result(branch, 'not-affected', { evidence: verdict.evidence });
  if (verdict.excludedBy) return result(branch, 'skipped', { evidence: [...verdict.evidence, { command: 'git log -1 --format=%B <fix>', result: verdict.excludedBy }] });
  const tip = await git.resolveCommit(branch);
  if (verdict.status === 'unknown') return needsHuman(ctx, fix, branch, tip, 'provenance', verdict.summary, fix.files, verdict.evidence);

  const evidence: Evidence[] = [];
  const idx = await ScratchIndex.of(git, tip);
  try {
    let method: BranchResult['method'] = null;
    let adaptations: Adaptation[] = [];
    const tipTree = new GitTree(git, tip, branch);
    // upstream's tree before the fix tells a name the fix introduces (its business) from a prerequisite the
    // branch lacks (a refusal); the same judgement `stablebot port --upstream-tree` makes on plain directories
    const upstreamTree = fix.parent ? new GitTree(git, fix.parent, `upstream@${short(fix.parent)}`) : undefined;
    // the tree in the scratch index and its diff against the branch tip: what would be committed
    const written = async () => {
      const tree = await idx.writeTree();
      return { tree, applied: parseDiff(await git.out(['diff-tree', '-p', '--no-renames', tip, tree])).files };
    };
    let built: { tree: string; applied: FilePatch[] } | null = null;
    const plain = await idx.apply(fix.diffText);
    evidence.push({ command: `git apply --cached <fix> (on ${branch})`, result: plain.ok ? 'applies cleanly' : `does not apply: ${plain.stderr.trim().split('\n')[0]}` });
    if (plain.ok) method = 'cherry-pick';
    else if (fix.commit && fix.parent) {
      const full = await git.out(['diff-tree', '-p', '--full-index', '--no-renames', fix.parent, fix.commit]);
      const three = await idx.apply(full, ['--3way']);
      evidence.push({ command: `git cherry-pick -x ${short(fix.commit)} (3-way, on ${branch})`, result: three.ok ? 'merged without conflicts' : 'conflicts' });
      if (three.ok) method = '3way';
      else await git.run(['read-tree', tip], { env: idx.env }); // a failed 3-way leaves conflict stages behind
    }
    if (method === '3way') {
      // A 3-way merge reconciles context that differs on the branch without judging it: `attrs` in upstream's
      // context and `0` on the branch merge "cleanly" into code using a variable the branch lacks. Accept it only
      // where upstream's pre-image is on the branch unchanged (modulo whitespace and position); otherwise the
      // rules decide, and name what they change.
      const drift = await contextDrift(tipTree, fix.files);
      if (drift) {
        evidence.push({ command: `git show ${branch}:${drift.file}`, result: `3-way result not used: hunk ${drift.hunk}'s context differs on ${branch}` });
        await git.run(['read-tree', tip], { env: idx.env });
        method = null;
      }
    }
    if (method) {
      // A patch that applies is not yet a correct backport: it may use what the branch lacks (e.g. a variable
      // introduced later). The engine's safety checks judge the result as applied.
      built = await written();
      const check = await portPatch(built.applied, tipTree, { upstreamTree });
      if (check.outcome !== 'clean') {
        const why = check.outcome === 'refused' ? `rejected by ${check.refusal?.check ?? 'engine'}: ${check.refusal?.reason ?? ''}` : `not used as is: the engine adapts it (${[...new Set(check.adaptations.map((a) => a.rule))].join(', ')})`;
        evidence.push({ command: `stablebot port <${method} result> (safety checks, on ${branch})`, result: why });
        await git.run(['read-tree', tip], { env: idx.env });
        method = null;
        built = null;
      }
    }
    if (!method) {
      const ported = await portPatch(fix.files, tipTree, { upstreamTree });
      if (ported.outcome === 'refused') {
        const r = ported.refusal;
        const failing = r?.file ? fix.files.filter((f) => (f.newPath ?? f.oldPath) === r.file || f.oldPath === r.file) : fix.files;
        evidence.push({ command: `stablebot port (relocation and rules, on ${branch})`, result: `refused by ${r?.check ?? 'engine'}: ${r?.reason ?? ''}` });
        return await needsHuman(ctx, fix, branch, tip, r?.check ?? 'apply', r?.reason ?? 'the fix does not apply', failing.length ? failing : fix.files, [...verdict.evidence, ...evidence]);
      }
      await idx.writeFiles(ported.files);
      adaptations = await explainAdaptations(ctx, fix, branch, ported.adaptations);
      method = ported.outcome === 'adapted' ? 'rules' : 'relocation';
      evidence.push({ command: `stablebot port (on ${branch})`, result: ported.outcome === 'adapted' ? `adapted by ${[...new Set(adaptations.map((a) => a.rule))].join(', ')}` : 'placed by relocation, unchanged' });
      built = await written();
    }
    const { tree, applied } = built as { tree: string; applied: FilePatch[] };
    if (hasConflictMarkers(applied)) return await needsHuman(ctx, fix, branch, tip, 'conflict-markers', 'the result contains conflict markers', fix.files, evidence);
    const inter = interdiff(fix.files, applied, adaptations);
    evidence.push({ command: 'interdiff <upstream diff> <backport diff>', result: inter.unexplained.length ? `${inter.unexplained.length} unexplained difference(s)` : adaptations.length ? 'every difference is explained by a named rule' : 'identical changes' });
    if (inter.unexplained.length) return await needsHuman(ctx, fix, branch, tip, 'interdiff', `differences no rule explains: ${inter.unexplained.join('; ')}`, fix.files, evidence);

    const outcome = adaptations.length ? 'adapted' : 'clean';
    const upstreamSha = fix.commit ?? fix.upstream.sha;
    const message = stableCommitMessage({ subject: fix.subject, message: fix.message, upstreamSha, adaptations, signoff: ctx.signoff });
    const name = await backportBranchName(branch, candidateId(fix));
    let commit: string | null = null;
    if (!ctx.dryRun) commit = await writeCommit(ctx, fix, tip, tree, message, name);
    return result(branch, outcome, {
      backportBranch: ctx.dryRun ? null : name,
      commit,
      rules: [...new Set(adaptations.map((a) => a.rule))],
      adaptations,
      interdiff: adaptations.length ? inter.text : null,
      method,
      commitMessage: message,
      evidence: [...verdict.evidence, ...evidence],
    });
  } finally {
    idx.dispose();
  }
}

/** Creates the commit and points the backport branch at it; a re-run with the same result keeps the existing commit. */
async function writeCommit(ctx: BackportContext, fix: Fix, tip: string, tree: string, message: string, name: string): Promise<string> {
  const { git } = ctx;
  const existing = await git.tryResolve(`refs/heads/${name}`);
  if (existing) {
    const [etree, eparent] = (await git.out(['show', '-s', '--format=%T %P', existing])).trim().split(' ');
    const emsg = await git.out(['show', '-s', '--format=%B', existing]);
    if (etree === tree && eparent === tip && emsg.trim() === message.trim()) return existing;
  }
  const author = fix.author ?? ctx.committer;
  const env: Record<string, string> = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: ctx.committer.name,
    GIT_COMMITTER_EMAIL: ctx.committer.email,
  };
  if (fix.commit) env.GIT_AUTHOR_DATE = (await git.out(['show', '-s', '--format=%aD', fix.commit])).trim();
  const commit = (await git.out(['commit-tree', tree, '-p', tip, '-F', '-'], { input: message, env })).trim();
  await git.run(['update-ref', '-m', 'stablebot backport', `refs/heads/${name}`, commit, ...(existing ? [existing] : ['0'.repeat(40)])]);
  return commit;
}
