import type { BranchStatus, Provenance } from '../core/provenance.ts';

const short = (s: string | null) => (s ? s.slice(0, 12) : '?');

export const STATUS_MARK: Record<BranchStatus, string> = {
  affected: '🐞 affected',
  'not-affected': '— not affected',
  'already-fixed': '✅ already fixed',
  unknown: '❓ unknown',
};

/** The provenance part of every report: upstream fix, introducing commits, and the affected-branch matrix. */
export function renderProvenance(p: Provenance, opts: { evidence?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`### Upstream fix`, '');
  out.push(`${short(p.upstream.sha)} ("${p.upstream.subject}")${p.upstream.author ? ` by ${p.upstream.author}` : ''} — identified by ${p.upstream.matchedBy}`);
  for (const n of p.upstream.notes) out.push(`- ${n}`);
  out.push('', '### Introduced by', '');
  if (p.introducedBy.length === 0) out.push('- unknown (no Fixes: tag, nothing to blame)');
  for (const c of p.introducedBy) {
    out.push(`- ${short(c.sha)} ("${c.subject}"), first in ${c.firstRelease ?? 'no release yet'} — found by ${c.how === 'blame' ? 'blaming the lines the fix changes' : 'the Fixes: tag'}`);
  }
  if (p.contextCommits.length) {
    out.push('', 'Commits that only shaped the surrounding code (not the bug):');
    for (const c of p.contextCommits) out.push(`- ${short(c.sha)} ("${c.subject}"), first in ${c.firstRelease ?? 'no release yet'}`);
  }
  out.push('', '### Affected branches', '', '| branch | status | why |', '|---|---|---|');
  for (const b of p.branches) out.push(`| ${b.branch} | ${STATUS_MARK[b.status]} | ${b.summary.replace(/\|/g, '\\|')} |`);
  if (opts.evidence !== false) {
    out.push('', '<details><summary>Evidence (commands you can re-run)</summary>', '');
    for (const c of p.introducedBy) for (const e of c.evidence) out.push(`- \`${e.command}\` → ${e.result}`);
    for (const b of p.branches) {
      out.push('', `**${b.branch}**`);
      for (const e of b.evidence) out.push(`- \`${e.command}\` → ${e.result}`);
    }
    out.push('', '</details>');
  }
  return out.join('\n');
}

/** The JSON view: the documented shape (upstream, introducedBy, branches with evidence) plus the rest. */
export function provenanceJson(p: Provenance): unknown {
  return {
    upstream: { sha: p.upstream.sha, subject: p.upstream.subject, author: p.upstream.author, matchedBy: p.upstream.matchedBy, notes: p.upstream.notes },
    introducedBy: p.introducedBy.map((c) => ({ sha: c.sha, subject: c.subject, firstRelease: c.firstRelease, how: c.how, lines: c.lines, evidence: c.evidence })),
    contextCommits: p.contextCommits,
    branches: p.branches,
  };
}
