import type { BackportReport, BranchOutcome, BranchResult } from '../core/backport.ts';
import { renderProvenance } from './provenance.ts';

export const OUTCOME_MARK: Record<BranchOutcome, string> = {
  clean: '✅ clean',
  adapted: '⚠️ adapted by rules',
  'needs-human': '❌ needs a human',
  'already-fixed': '✅ already fixed',
  'not-affected': '— not affected',
  skipped: '— skipped',
};

function outcomeLine(r: BranchResult): string {
  const what = r.outcome === 'adapted' ? ` (${r.rules.join(', ')})` : r.outcome === 'needs-human' && r.failure ? ` (${r.failure.check})` : '';
  return `| ${r.branch} | ${OUTCOME_MARK[r.outcome]}${what} | ${r.backportBranch ? `\`${r.backportBranch}\`` : '—'} |`;
}

/** One branch's part: outcome, adaptations with the interdiff, or what a human needs to continue. */
export function renderBranchSection(r: BranchResult): string {
  const out: string[] = [`#### ${r.branch}: ${OUTCOME_MARK[r.outcome]}`, ''];
  if (r.backportBranch) out.push(`Branch \`${r.backportBranch}\`${r.commit ? ` at ${r.commit.slice(0, 12)}` : ''}, applied by ${r.method}.`, '');
  if (r.adaptations.length) {
    out.push('Adaptations (each also noted in the commit message):');
    for (const a of r.adaptations) out.push(`- **${a.rule}** (${a.file}, hunk ${a.hunk}): ${a.note}`);
    out.push('');
  }
  if (r.interdiff) out.push('Interdiff against upstream:', '', '```diff', r.interdiff.trimEnd(), '```', '');
  if (r.failure) {
    out.push(`Why: ${r.failure.check} — ${r.failure.reason}`, '');
    for (const h of r.failure.hunks) {
      out.push(`Upstream hunk ${h.hunk} of ${h.file}:`, '', '```diff', h.upstream, '```');
      out.push(h.target === null ? `(${h.file} does not exist on ${r.branch})` : `The code on ${r.branch} there:\n\n\`\`\`c\n${h.target}\n\`\`\``, '');
    }
    if (r.failure.prerequisites.length) out.push('Possible dependencies:', '', ...r.failure.prerequisites.map((p) => `    ${p}`), '');
    out.push('To reproduce and resolve by hand:', '', '```sh', ...r.failure.commands, '```', '');
  }
  if (r.verification) out.push(r.verification.markdown.trimEnd(), '');
  if (r.commitMessage) out.push('<details><summary>Commit message</summary>', '', '```', r.commitMessage.trimEnd(), '```', '', '</details>', '');
  return out.join('\n');
}

export function renderReport(report: BackportReport): string {
  const out: string[] = [`## stablebot: ${report.provenance.upstream.subject}`, ''];
  out.push('| branch | outcome | backport branch |', '|---|---|---|', ...report.results.map(outcomeLine), '');
  out.push(renderProvenance(report.provenance), '');
  out.push('### Per branch', '');
  for (const r of report.results) if (r.outcome !== 'not-affected') out.push(renderBranchSection(r));
  return out.join('\n');
}

/** The PR body for one branch: that branch's outcome first, then the provenance it rests on. */
export function renderBranchReport(report: BackportReport, branch: string): string {
  const r = report.results.find((x) => x.branch === branch);
  if (!r) throw new Error(`no result for ${branch}`);
  const up = report.provenance.upstream;
  return [
    `Backport of ${up.sha ? up.sha.slice(0, 12) : 'an upstream fix'} ("${up.subject}") to ${branch}.`,
    '',
    renderBranchSection(r),
    renderProvenance(report.provenance),
  ].join('\n');
}

export function reportJson(report: BackportReport): unknown {
  return {
    ...report.provenance,
    results: report.results.map((r) => ({ ...r })),
  };
}
