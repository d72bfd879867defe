/**
 * One commit of a sweep -> tagged, AUTOSEL-style, excluded (each with reasons and a per-branch plan), or not a
 * candidate at all (null). The rules, in order:
 *  - merges are excluded; `Cc: <stable+noautosel@…>` alone excludes;
 *  - tagged: `Cc: stable` (its hint's minimum series respected, even over `Fixes:` evidence: a branch below the
 *    hint that carries the buggy commit is "excluded" with that evidence), or a `Fixes:` whose introducing commit a branch
 *    carries (by ancestry or by a backport found in the reference index);
 *  - AUTOSEL-style: untagged, scored from facts (message, diff shape, review tags) plus provenance (the commits
 *    blamed for the lines the fix changes are in a branch), at or over the threshold; or named by an AUTOSEL mail;
 *  - a revert only goes where the reverted commit is; a fix already in a branch (reference or patch-id) skips it;
 *    a branch whose newer stable trees need the fix but will not get it in this sweep is "blocked on" them.
 */
import type { CommitRef } from '../core/candidate.ts';
import { compareVersions, seriesOfBranch } from '../core/version.ts';
import type { Git } from '../git/git.ts';
import type { WalkedCommit } from '../index/logwalk.ts';
import { parseDiff } from '../intake/diff.ts';
import { parseTrailers } from '../intake/trailers.ts';
import type { BranchPlan, CandidateClass, CandidateRecord, OutcomeState } from '../store/types.ts';
import type { SweepBlame } from './blame.ts';
import { describePresence, type Containment, type Presence } from './containment.ts';
import { scoreCommit, sumScore, type ScoredFact } from './facts.ts';
import { mailTargets, type MailMatch } from './mails.ts';

export interface ClassifyContext {
  git: Git;
  repo: string;
  sweepId: number;
  containment: Containment;
  /** branches the sweep serves, newest first */
  configured: string[];
  /** every stable branch from the oldest configured series up, newest first (for "blocked on newer") */
  considered: string[];
  threshold: number;
  /** abbreviated ids (Fixes:, "This reverts commit") -> full id, null when not in the repository */
  resolved: Map<string, string | null>;
  mails: Map<string, MailMatch[]>;
  /** `${sha} ${branch}` -> outcome recorded earlier */
  outcomes: Map<string, OutcomeState>;
  subjects: SubjectCache;
  blame: SweepBlame;
}

/** Weight of "the blamed code is in a configured branch". */
export const PROVENANCE_WEIGHT = 2;
const REVERT_WEIGHT = 3;

export class SubjectCache {
  private readonly map = new Map<string, string>();
  constructor(private readonly git: Git) {}
  set(sha: string, subject: string): void {
    this.map.set(sha, subject);
  }
  async get(shas: string[]): Promise<Map<string, string>> {
    const missing = [...new Set(shas)].filter((s) => !this.map.has(s));
    if (missing.length) {
      const out = await this.git.out(['log', '--no-walk=unsorted', '--format=%H%x00%s', ...missing, '--']);
      for (const line of out.split('\n')) {
        const [sha, subject] = line.split('\0');
        if (sha && subject !== undefined) this.map.set(sha, subject);
      }
    }
    return new Map(shas.map((s) => [s, this.map.get(s) ?? '']));
  }
}

const short = (sha: string) => sha.slice(0, 12);

function isNewer(a: string, b: string): boolean {
  const x = seriesOfBranch(a);
  const y = seriesOfBranch(b);
  return !!x && !!y && compareVersions(x, y) > 0;
}

function seriesAtLeast(branch: string, min: string): boolean {
  const s = seriesOfBranch(branch);
  return !s || compareVersions(s, min) >= 0;
}

type Holders = Map<string, Presence>;

async function holdersOf(ctx: ClassifyContext, sha: string): Promise<Holders> {
  const out: Holders = new Map();
  for (const b of ctx.considered) {
    const p = await ctx.containment.presence(sha, b);
    if (p) out.set(b, p);
  }
  return out;
}

function describeHolders(h: Holders): string {
  return [...h].map(([b, p]) => describePresence(p, b)).join(', ');
}

async function describeCommit(ctx: ClassifyContext, sha: string, subject?: string): Promise<string> {
  const s = subject ?? (await ctx.subjects.get([sha])).get(sha) ?? '';
  return `${short(sha)} ("${s}")`;
}

/** commits blamed for the lines the fix removes or inserts between, at the fix's parent (see ./blame.ts) */
async function blamedIntroducers(ctx: ClassifyContext, c: WalkedCommit): Promise<string[]> {
  if (!c.diff || c.parents.length !== 1) return [];
  // plain context is not blamed: old context lines make blame walk further and say nothing about the bug
  const blamed = await ctx.blame.introducers(c, parseDiff(c.diff).files, ['removed', 'insertion-neighbour']);
  return blamed.filter((s) => !/^0+$/.test(s));
}

export async function classifyCommit(ctx: ClassifyContext, c: WalkedCommit, patchId: string | null): Promise<CandidateRecord | null> {
  const subject = c.message.split('\n')[0] ?? '';
  const record = (cls: CandidateClass, reasons: string[], score: number, branches: BranchPlan[]): CandidateRecord => ({
    repo: ctx.repo,
    sha: c.sha,
    subject,
    class: cls,
    reasons,
    score,
    branches,
    sweepId: ctx.sweepId,
  });
  if (c.parents.length > 1) {
    return record('excluded', ['merge commit: its changes reach stable through the commits it merges'], 0, []);
  }

  const t = parseTrailers(c.message);
  const stableCc = t.stable.filter((s) => !s.noautosel);
  const noautosel = t.stable.find((s) => s.noautosel);
  const facts: ScoredFact[] = scoreCommit(subject, c.message, t, { files: c.files, hunkLines: c.hunkLines, diff: c.diff });
  const reasons: string[] = [];
  const exclusions: string[] = [];
  let cls: 'tagged' | 'autosel' | null = null;
  /** branch -> why it needs the fix */
  let affected = new Map<string, string>();
  /** why a configured branch outside `affected` does not need it */
  let notAffected = 'does not carry the code this fixes';
  /** branch -> why the Cc: stable hint keeps the fix out although the branch carries the buggy commit */
  const hintExcluded = new Map<string, string>();

  // reverts go only where the reverted commit is
  const revertRef = /This reverts commit ([0-9a-f]{12,40})/.exec(c.message)?.[1];
  const revertSha = revertRef ? (ctx.resolved.get(revertRef) ?? null) : null;
  const revertHolders = revertSha ? await holdersOf(ctx, revertSha) : null;

  const intros: { ref: CommitRef; sha: string }[] = [];
  for (const ref of t.fixes) {
    const sha = ctx.resolved.get(ref.sha);
    if (sha) intros.push({ ref, sha });
  }
  const introHolders = new Map<string, string>();
  for (const intro of intros) {
    const h = await holdersOf(ctx, intro.sha);
    const what = await describeCommit(ctx, intro.sha, intro.ref.subject);
    reasons.push(h.size ? `Fixes: ${what}, carried by ${describeHolders(h)}` : `Fixes: ${what}, which no stable branch carries`);
    for (const [b, p] of h) if (!introHolders.has(b)) introHolders.set(b, `has the buggy commit ${short(intro.sha)}: ${describePresence(p, b)}`);
  }

  if (stableCc.length) {
    cls = 'tagged';
    const hinted = stableCc.filter((s) => s.minVersion);
    const min = hinted.length === stableCc.length ? hinted.map((s) => s.minVersion!).sort(compareVersions)[0] : undefined;
    for (const s of stableCc) reasons.unshift(`Cc: ${s.address}${s.hint ? ` # ${s.hint}` : ''}`);
    if (intros.length) {
      // the hint wins for selection: the maintainer who wrote "# 6.18+" knows something the Fixes: tag does not
      // (a prerequisite, a behaviour older trees must keep). A branch below it that carries the buggy commit is
      // reported as excluded by the hint, with the evidence, so a human can still decide otherwise.
      affected = new Map(introHolders);
      const below = min ? [...introHolders.keys()].filter((b) => !seriesAtLeast(b, min)) : [];
      if (below.length) {
        const hintText = stableCc.find((s) => s.minVersion === min)?.hint ?? `${min}+`;
        reasons.push(`Cc: stable hint # ${hintText} excludes ${below.join(', ')}, although ${below.length > 1 ? 'they carry' : 'it carries'} the buggy commit: the hint wins`);
        for (const b of below) {
          hintExcluded.set(b, `excluded by the Cc: stable hint # ${hintText} (the buggy code is present: Fixes: evidence, ${introHolders.get(b)})`);
          affected.delete(b);
        }
      }
      if (introHolders.size === 0) exclusions.push('the buggy commit named by Fixes: is in no stable branch');
    } else {
      if (min) notAffected = `older than the Cc: stable hint ${min}+`;
      if (min && !ctx.configured.some((b) => seriesAtLeast(b, min))) {
        exclusions.push(`Cc: stable hint asks for ${min}+, newer than every configured branch`);
      }
      for (const b of ctx.considered) if (!min || seriesAtLeast(b, min)) affected.set(b, min ? `Cc: stable hint ${min}+` : 'Cc: stable');
    }
  } else if (intros.length && !noautosel) {
    cls = 'tagged';
    affected = introHolders;
    if (introHolders.size === 0) exclusions.push(`bug introduced by ${intros.map((i) => short(i.sha)).join(', ')}, which no stable branch carries`);
  } else if (noautosel) {
    exclusions.push(`Cc: stable+noautosel${noautosel.hint ? ` (${noautosel.hint})` : ''}: never auto-selected`);
  } else {
    // untagged: AUTOSEL-style
    const mailHits = ctx.mails.get(c.sha) ?? [];
    if (revertSha && revertHolders && revertHolders.size) {
      facts.push({ reason: `reverts ${await describeCommit(ctx, revertSha)}, carried by ${describeHolders(revertHolders)}`, weight: REVERT_WEIGHT, bugSignal: true });
    }
    const bug = facts.some((f) => f.bugSignal);
    let score = sumScore(facts);
    const couldPass = bug && score + PROVENANCE_WEIGHT >= ctx.threshold;
    let holders = new Map<string, string>();
    if (revertSha && revertHolders && revertHolders.size) {
      for (const [b, p] of revertHolders) holders.set(b, `has the reverted commit: ${describePresence(p, b)}`);
    } else if (couldPass || mailHits.length) {
      const blamed = await blamedIntroducers(ctx, c);
      const found: string[] = [];
      const missing: string[] = [];
      for (const sha of blamed) {
        const h = await holdersOf(ctx, sha);
        const what = sha === ctx.containment.base ? `code older than every branch's fork point (${short(sha)})` : await describeCommit(ctx, sha);
        if (h.size) found.push(`${what}: ${describeHolders(h)}`);
        else missing.push(what);
        for (const [b, p] of h) if (!holders.has(b)) holders.set(b, `blamed lines come from ${short(sha)}: ${describePresence(p, b)}`);
      }
      if (holders.size) facts.push({ reason: `provenance: blamed lines come from ${found.join('; ')}`, weight: PROVENANCE_WEIGHT, bugSignal: false });
      else if (blamed.length) reasons.push(`blamed lines come from ${missing.join(', ')}, which no stable branch carries`);
    }
    score = sumScore(facts);
    for (const m of mailHits) {
      reasons.push(`AUTOSEL mail "${m.mail.rawSubject}" (matched by ${m.by === 'upstream-id' ? 'upstream commit id' : 'subject'})`);
    }
    if (mailHits.length) {
      cls = 'autosel';
      notAffected = 'not named by the AUTOSEL mail';
      for (const b of ctx.considered) {
        const series = seriesOfBranch(b);
        if (series && mailHits.some((m) => mailTargets(m.mail, series))) affected.set(b, `named by the AUTOSEL mail for ${series}`);
      }
    } else if (bug && score >= ctx.threshold && holders.size) {
      cls = 'autosel';
      affected = holders;
    } else if (couldPass && holders.size === 0 && !(revertSha && revertHolders)) {
      cls = 'autosel';
      exclusions.push('scores as a fix, but the code it changes is in no stable branch');
    } else if (!(revertSha && revertHolders && revertHolders.size === 0)) {
      return null;
    }
    reasons.push(`AUTOSEL score ${score} (threshold ${ctx.threshold})`, ...facts.map((f) => `${f.weight >= 0 ? '+' : ''}${f.weight} ${f.reason}`));
  }

  if (revertSha && revertHolders) {
    if (revertHolders.size === 0) exclusions.push(`reverts ${await describeCommit(ctx, revertSha)}, which no stable branch carries`);
    else for (const b of [...affected.keys()]) if (!revertHolders.has(b)) affected.delete(b);
  }

  // per branch: already there? then, does a newer tree that needs it stay without it?
  const already = new Map<string, Presence>();
  for (const b of affected.keys()) {
    const p = await ctx.containment.presence(c.sha, b, patchId);
    if (p) already.set(b, p);
  }
  const plans: BranchPlan[] = [];
  const lacking = (b: string) => affected.has(b) && !already.has(b);
  const stuck = (b: string) => !ctx.configured.includes(b) || ['failed', 'needs-human'].includes(ctx.outcomes.get(`${c.sha} ${b}`) ?? '');
  for (const b of ctx.configured) {
    const byHint = hintExcluded.get(b);
    if (byHint) {
      plans.push({ branch: b, selection: 'excluded', why: byHint });
      continue;
    }
    if (!affected.has(b)) {
      plans.push({ branch: b, selection: 'not-affected', why: revertHolders && !revertHolders.has(b) ? 'does not carry the reverted commit' : notAffected });
      continue;
    }
    const p = already.get(b);
    if (p) {
      plans.push({ branch: b, selection: 'already-fixed', why: `already in ${describePresence(p, b)}` });
      continue;
    }
    const blockers = ctx.considered.filter((n) => isNewer(n, b) && lacking(n) && stuck(n));
    if (blockers.length) {
      plans.push({ branch: b, selection: 'blocked', why: `blocked on ${blockers.join(', ')}: newer stable trees need the fix first` });
      continue;
    }
    plans.push({ branch: b, selection: 'target', why: affected.get(b)! });
  }

  const score = sumScore(facts);
  if (!cls && exclusions.length === 0) return null;
  if (exclusions.length === 0 && !plans.some((p) => p.selection === 'target')) {
    const fixed = plans.filter((p) => p.selection === 'already-fixed');
    const blocked = plans.filter((p) => p.selection === 'blocked');
    if (blocked.length) {
      const on = [...new Set(blocked.flatMap((p) => /blocked on ([^:]+):/.exec(p.why)?.[1].split(', ') ?? []))];
      exclusions.push(`blocked on ${on.join(', ')}`);
    } else if (fixed.length) exclusions.push(`already backported: ${fixed.map((p) => p.why.replace(/^already in /, '')).join(', ')}`);
    else if (plans.some((p) => p.selection === 'excluded')) exclusions.push(`excluded by the Cc: stable hint for every configured branch that carries the buggy commit`);
    else exclusions.push('needed by no configured branch');
  }
  if (exclusions.length) return record('excluded', [...exclusions, ...reasons], score, plans);
  return record(cls!, reasons, score, plans);
}
