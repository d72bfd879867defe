import type { Fix } from '../core/fix.ts';
import { addedLines, postImage, preImage, type FilePatch, type Hunk } from '../core/patch.ts';
import type { BranchVerdict, Evidence, IntroducingCommit, Provenance } from '../core/provenance.ts';
import { compareVersions, seriesOfBranch } from '../core/version.ts';
import type { Git } from '../git/git.ts';
import { blameFix, type BlamedLine } from './blame.ts';
import type { ReferenceLookup } from './lookup.ts';
import { firstRelease, firstStableRelease } from './release.ts';
import { pathBeforeRenames } from './renames.ts';
import { findBlock } from './text.ts';

export interface AnalyzeContext {
  git: Git;
  upstreamBranch: string;
  branches: string[];
  references: ReferenceLookup;
}

const short = (sha: string) => sha.slice(0, 12);

async function subjects(git: Git, shas: string[]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  if (shas.length === 0) return map;
  const out = await git.out(['show', '-s', '--format=%H%x00%s', ...shas, '--']);
  for (const line of out.split('\n')) {
    const [sha, subject] = line.split('\0');
    if (sha && subject !== undefined) map.set(sha, subject);
  }
  return map;
}

/** Introducing commits from Fixes: tags, or by blaming the lines the fix touches; plus commits that only shaped context. */
async function introducers(ctx: AnalyzeContext, fix: Fix): Promise<Pick<Provenance, 'introducedBy' | 'contextCommits'> & { notes: string[]; shapers: Map<string, string> }> {
  const { git } = ctx;
  const notes: string[] = [];
  const fromTags: IntroducingCommit[] = [];
  for (const ref of fix.trailers.fixes) {
    const sha = /^[0-9a-f]{7,40}$/i.test(ref.sha) ? await git.tryResolve(ref.sha) : null;
    if (!sha) {
      notes.push(`Fixes: ${ref.sha} is not in this repository`);
      continue;
    }
    if (fromTags.some((c) => c.sha === sha)) continue;
    fromTags.push({
      sha,
      subject: '',
      firstRelease: null,
      how: 'fixes-tag',
      evidence: [{ command: `git log -1 --format='%H %s' ${ref.sha}`, result: `Fixes: tag names ${short(sha)}` }],
    });
  }

  // Blame runs at the fix's parent when the fix is in the repository, else at the upstream branch tip.
  const base = fix.parent ?? (await git.tryResolve(ctx.upstreamBranch));
  let blamed: BlamedLine[] = [];
  if (base) blamed = await blameFix(git, base, fix.files, fix.parent !== null);
  const byCommit = new Map<string, BlamedLine[]>();
  for (const b of blamed) byCommit.set(b.commit, [...(byCommit.get(b.commit) ?? []), b]);
  const buggy = [...byCommit.entries()].filter(([, ls]) => ls.some((l) => l.role !== 'context'));
  const fromBlame: IntroducingCommit[] = buggy.map(([sha, ls]) => {
    const rel = ls.filter((l) => l.role !== 'context');
    const ranges = [...new Set(rel.map((l) => `${l.path}:${l.line}`))].join(', ');
    return {
      sha,
      subject: '',
      firstRelease: null,
      how: 'blame' as const,
      lines: rel.map((l) => ({ path: l.path, line: l.line, text: l.text })),
      evidence: [
        {
          command: `git blame -L ${rel[0].line},${rel[rel.length - 1].line} ${short(base as string)} -- ${rel[0].path}`,
          result: `${rel.length} line(s) the fix removes or inserts next to come from ${short(sha)} (${ranges})`,
        },
      ],
    };
  });
  if (blamed.length === 0 && fromTags.length === 0) notes.push('no introducing commit found: no Fixes: tag and nothing to blame in this repository');

  const chosen = fromTags.length > 0 ? fromTags : fromBlame;
  const chosenSet = new Set(chosen.map((c) => c.sha));
  const context = [...byCommit.keys()].filter((sha) => !chosenSet.has(sha) && !fromBlame.some((b) => b.sha === sha));
  const names = await subjects(git, [...new Set([...chosenSet, ...byCommit.keys()])]);
  for (const c of chosen) {
    c.subject = names.get(c.sha) ?? '';
    c.firstRelease = await firstRelease(git, c.sha);
  }
  const contextCommits = [];
  for (const sha of context) contextCommits.push({ sha, subject: names.get(sha) ?? '', firstRelease: await firstRelease(git, sha) });
  // Oldest first: the earliest release is the one that matters for the affected range.
  chosen.sort((a, b) => compareVersions(a.firstRelease ?? 'v999.0', b.firstRelease ?? 'v999.0'));
  // every commit that last touched a line the fix removes or inserts next to, with its subject
  const shapers = new Map<string, string>();
  for (const [sha] of buggy) shapers.set(sha, names.get(sha) ?? '');
  return { introducedBy: chosen, contextCommits, notes, shapers };
}

/** Runs of consecutive removed lines: each must be found on its own (they are not contiguous in the file). */
function removedRuns(h: Hunk): string[][] {
  const runs: string[][] = [];
  let cur: string[] = [];
  for (const l of h.lines) {
    if (l.op === '-') cur.push(l.text);
    else if (l.op === ' ' && cur.length) {
      runs.push(cur);
      cur = [];
    }
  }
  if (cur.length) runs.push(cur);
  return runs.filter((r) => r.some((t) => t.trim()));
}

type TextState = 'present' | 'absent' | 'partial' | 'file-absent';

interface TextFindings {
  pre: TextState;
  post: boolean;
  evidence: Evidence[];
}

/** Is the buggy pre-image (the lines the fix removes) at the branch tip? Is the fixed post-image? */
async function textFindings(git: Git, branch: string, files: FilePatch[], renamesSince: { fork: string; parent: string } | null): Promise<TextFindings> {
  const evidence: Evidence[] = [];
  let hunksWithPre = 0;
  let preFound = 0;
  let partialHunks = 0;
  let postHunks = 0;
  let postFound = 0;
  let filesPresent = 0;
  for (const f of files) {
    const path = f.oldPath ?? f.newPath;
    if (!path) continue;
    let text = await git.show(branch, path);
    if (text === null && renamesSince) {
      const moved = await pathBeforeRenames(git, path, renamesSince.fork, renamesSince.parent);
      if (moved) {
        text = await git.show(branch, moved.path);
        evidence.push({
          command: `git log --follow --diff-filter=R --name-status ${short(renamesSince.fork)}..${short(renamesSince.parent)} -- ${path}`,
          result: `${path} was ${moved.path} before ${short(moved.commit)}${text === null ? `; neither exists on ${branch}` : `, which exists on ${branch}`}`,
        });
      }
    }
    if (text === null) {
      evidence.push({ command: `git cat-file -e ${branch}:${path}`, result: `${path} does not exist on ${branch}` });
      continue;
    }
    filesPresent++;
    f.hunks.forEach((h, i) => {
      const runs = removedRuns(h);
      const blocks = runs.length ? runs : [preImage(h)];
      const hits = blocks.map((b) => findBlock(text, b));
      hunksWithPre++;
      const found = hits.filter((x) => x.length > 0).length;
      if (found === blocks.length) preFound++;
      else if (found > 0) partialHunks++;
      const what = runs.length ? `the ${runs.flat().length} line(s) hunk ${i + 1} removes (${runs.length} run(s))` : `hunk ${i + 1}'s context`;
      evidence.push({
        command: `git show ${branch}:${path}`,
        result:
          found === blocks.length
            ? `${what} are present at line(s) ${hits.map((x) => x[0] + 1).join(', ')} (whitespace-insensitive)`
            : found === 0
              ? `${what} are not present`
              : `only ${found} of ${blocks.length} removed run(s) of hunk ${i + 1} are present`,
      });
      if (addedLines(h).some((l) => l.trim())) {
        postHunks++;
        if (findBlock(text, postImage(h)).length > 0) postFound++;
      }
    });
  }
  let pre: TextState;
  if (filesPresent === 0) pre = 'file-absent';
  else if (preFound === hunksWithPre) pre = 'present';
  else if (preFound === 0 && partialHunks === 0) pre = 'absent';
  else pre = 'partial';
  const post = postHunks > 0 && postFound === postHunks && pre !== 'present';
  if (post) evidence.push({ command: `git show ${branch}:<files>`, result: `the fixed code (post-image of all ${postHunks} hunk(s)) is present` });
  return { pre, post, evidence };
}

async function verdictFor(ctx: AnalyzeContext, fix: Fix, intro: IntroducingCommit[], shapers: Map<string, string>, branch: string): Promise<BranchVerdict> {
  const { git, references } = ctx;
  const evidence: Evidence[] = [];
  await references.prepare(branch);
  const base = (await git.run(['merge-base', ctx.upstreamBranch, branch], { allowFail: true })).stdout.trim();
  const range = base ? `${short(base)}..${branch}` : branch;
  const series = seriesOfBranch(branch);

  // Already fixed: a reference line, the same patch-id, or the fixed text.
  const upstreamSha = fix.commit ?? (fix.upstream.sha && fix.upstream.sha.length === 40 ? fix.upstream.sha : null);
  if (upstreamSha) {
    const refs = references.byUpstream(branch, upstreamSha);
    evidence.push({
      command: `git log --oneline -F --grep=${upstreamSha} ${range}`,
      result: refs.length ? refs.map((r) => `${short(r.commit)} names it (${r.style})`).join('; ') : 'no commit names the fix',
    });
    if (refs.length)
      return { branch, status: 'already-fixed', summary: `fix already backported as ${short(refs[0].commit)}`, fixedBy: { sha: refs[0].commit, via: 'reference' }, evidence };
  }
  if (fix.patchId) {
    const same = references.byPatchId(branch, fix.patchId);
    evidence.push({
      command: `git log -p ${range} | git patch-id --stable | grep ${fix.patchId.slice(0, 12)}`,
      result: same.length ? `${short(same[0])} has the fix's patch-id` : 'no commit has the fix\'s patch-id',
    });
    if (same.length)
      return { branch, status: 'already-fixed', summary: `fix already present as ${short(same[0])} (same patch-id)`, fixedBy: { sha: same[0], via: 'patch-id' }, evidence };
  }
  const text = await textFindings(git, branch, fix.files, base && fix.parent ? { fork: base, parent: fix.parent } : null);
  evidence.push(...text.evidence);
  if (text.post)
    return { branch, status: 'already-fixed', summary: 'the fixed code is already there (post-image text present)', fixedBy: { sha: null, via: 'post-image' }, evidence };

  // Does the branch contain the buggy commit, by ancestry or by a backport of it?
  let contains: BranchVerdict['containsIntroducer'];
  for (const c of intro) {
    if (await git.isAncestor(c.sha, branch)) {
      contains = { sha: c.sha, via: 'ancestry' };
      evidence.push({ command: `git merge-base --is-ancestor ${short(c.sha)} ${branch}`, result: `yes: ${branch} contains ${short(c.sha)} (first in ${c.firstRelease ?? 'no release yet'})` });
      break;
    }
    const refs = references.byUpstream(branch, c.sha);
    if (refs.length) {
      const rel = series ? await firstStableRelease(git, refs[0].commit, series) : null;
      contains = { sha: c.sha, via: 'backport', stableCommit: refs[0].commit };
      evidence.push({
        command: `git log --oneline -F --grep=${c.sha} ${range}`,
        result: `${short(refs[0].commit)} is a backport of ${short(c.sha)} (${refs[0].style})${rel ? `, first in ${rel}` : ', in no stable release yet'}`,
      });
      break;
    }
    evidence.push({ command: `git merge-base --is-ancestor ${short(c.sha)} ${branch}`, result: `no, and no backport of ${short(c.sha)} in ${range}` });
  }

  const hint = fix.trailers.stable.find((s) => s.minVersion);
  const excluded = hint && series && hint.minVersion && compareVersions(series, hint.minVersion) < 0 ? `Cc: stable hint "# ${hint.hint}" excludes ${series}` : undefined;
  const v = (status: BranchVerdict['status'], summary: string): BranchVerdict => ({
    branch,
    status,
    summary: excluded && status === 'affected' ? `${summary}; ${excluded}` : summary,
    containsIntroducer: contains,
    excludedBy: status === 'affected' ? excluded : undefined,
    evidence,
  });

  if (text.pre === 'file-absent') return v('not-affected', 'the files the fix touches do not exist');
  if (intro.length === 0) {
    if (text.pre === 'present') return v('affected', 'the buggy code is present (no introducing commit known: decided from the text)');
    if (text.pre === 'absent') return v('not-affected', 'the lines the fix changes are not present');
    return v('unknown', 'only part of the buggy code is present');
  }
  if (contains) {
    if (text.pre === 'present') return v('affected', `contains ${short(contains.sha)} by ${contains.via} and the buggy code is present`);
    // The lines differ: either mainline reshaped them after this branch forked (the branch has an older form of
    // the buggy code: affected, and the reshaping commit is a prerequisite), or the branch rewrote them itself.
    const missing: string[] = [];
    for (const [sha, subject] of shapers) {
      if (await git.isAncestor(sha, branch)) continue;
      if (references.byUpstream(branch, sha).length) continue;
      missing.push(`${short(sha)} ("${subject}")`);
    }
    if (missing.length) {
      evidence.push({ command: `git blame <fix parent> -- <the lines the fix changes>`, result: `those lines were last changed on mainline by ${missing.join(', ')}, which ${branch} does not have` });
      return v('affected', `contains ${short(contains.sha)}; the buggy code is there in an older form (mainline reshaped it in ${missing.join(', ')})`);
    }
    if (text.pre === 'absent') return v('not-affected', `contains ${short(contains.sha)} but the buggy lines are gone (rewritten on this branch)`);
    return v('unknown', `contains ${short(contains.sha)} but only part of the buggy code is present`);
  }
  if (text.pre === 'present') return v('affected', 'the buggy code is present, although the introducing commit is not in this branch (it may predate it)');
  return v('not-affected', 'does not contain the introducing commit and the buggy lines are not present');
}

export async function analyzeFix(ctx: AnalyzeContext, fix: Fix): Promise<Provenance> {
  const found = await introducers(ctx, fix);
  const branches: BranchVerdict[] = [];
  for (const b of ctx.branches) branches.push(await verdictFor(ctx, fix, found.introducedBy, found.shapers, b));
  return {
    upstream: { ...fix.upstream, notes: [...fix.upstream.notes, ...found.notes] },
    introducedBy: found.introducedBy,
    contextCommits: found.contextCommits,
    branches,
  };
}
