/** Views of one SweepResult: the per-branch tracking table (GitHub issue body) and the CLI's plain text. */
import type { BranchOutcome, CandidateRecord } from '../store/types.ts';
import type { SweepResult } from './types.ts';

const short = (sha: string) => sha.slice(0, 12);

/** markdown cell text: no pipes or line breaks */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim();
}

function outcomeOf(result: SweepResult, c: CandidateRecord, branch: string): BranchOutcome | undefined {
  return result.outcomes.find((o) => o.sha === c.sha && o.branch === branch);
}

/**
 * One markdown table for a stable branch: every candidate that concerns it (a target, blocked on a newer tree,
 * or already there), with class and reasons, provenance, outcome and PR link.
 */
export function renderTrackingTable(result: SweepResult, branch: string): string {
  const rows: string[] = [];
  for (const c of result.candidates) {
    const plan = c.branches.find((b) => b.branch === branch);
    // a branch's table lists what concerns it: targets, blocked and already-fixed (excluded ones included)
    if (!plan || plan.selection === 'not-affected') continue;
    const outcome = outcomeOf(result, c, branch);
    const classText = `**${c.class}**: ${c.reasons.slice(0, 3).join('; ')}`;
    const provenance = plan ? `${plan.selection}: ${plan.why}` : '—';
    const state = outcome ? `${outcome.outcome}${outcome.detail ? ` (${outcome.detail})` : ''}` : plan?.selection === 'target' ? 'pending' : '—';
    const pr = outcome?.prUrl ? `[#${outcome.prNumber ?? 'PR'}](${outcome.prUrl})` : outcome?.prNumber ? `#${outcome.prNumber}` : '';
    rows.push(`| \`${short(c.sha)}\` ${cell(c.subject)} | ${cell(classText)} | ${cell(provenance)} | ${cell(state)} | ${pr} |`);
  }
  const head = [
    `### Stable sweep for ${branch}`,
    '',
    `Upstream \`${result.upstream}\` ${result.from ? `\`${short(result.from)}\`` : '(root)'}..\`${short(result.to)}\`: ${result.considered} commits, ` +
      `${count(result, 'tagged', branch)} tagged, ${count(result, 'autosel', branch)} AUTOSEL-style for this branch, ${result.candidates.filter((c) => c.class === 'excluded').length} excluded.`,
    '',
    '| candidate | class and reasons | provenance | outcome | PR |',
    '|---|---|---|---|---|',
  ];
  if (!rows.length) return [...head.slice(0, 3), '_No candidate for this branch._', ''].join('\n');
  return [...head, ...rows, ''].join('\n');
}

function count(result: SweepResult, cls: 'tagged' | 'autosel', branch: string): number {
  return result.candidates.filter((c) => c.class === cls && c.branches.some((b) => b.branch === branch && b.selection === 'target')).length;
}

/** The CLI's human output: one block per class, one line per candidate, its reasons and branch plan. */
export function renderSweepText(result: SweepResult): string {
  const out: string[] = [];
  out.push(
    `sweep ${result.from ? short(result.from) : '(root)'}..${short(result.to)} of ${result.upstream}: ${result.considered} commits` +
      `${result.resumed ? ' (resumed an interrupted sweep)' : ''}, branches ${result.branches.join(', ')}`,
  );
  for (const cls of ['tagged', 'autosel', 'excluded'] as const) {
    const list = result.candidates.filter((c) => c.class === cls);
    out.push('', `${cls === 'autosel' ? 'AUTOSEL-style' : cls} (${list.length})`);
    for (const c of list) {
      out.push(`  ${short(c.sha)} ${c.subject}`);
      out.push(`      ${c.reasons.slice(0, cls === 'autosel' ? 4 : 2).join('; ')}`);
      const plans = c.branches.filter((b) => b.selection !== 'not-affected');
      if (plans.length) out.push(`      ${plans.map((b) => `${b.branch}: ${b.selection}`).join(', ')}`);
    }
  }
  if (result.unmatchedMails.length) out.push('', `AUTOSEL mails matching no commit in the range (${result.unmatchedMails.length}):`, ...result.unmatchedMails.map((s) => `  ${s}`));
  out.push('', `${result.ms} ms`);
  return out.join('\n') + '\n';
}
