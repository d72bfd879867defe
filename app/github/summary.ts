/**
 * The ONE summary comment per candidate on the triggering issue/PR: a table of branches, edited in place as
 * branches finish. It carries its own state (hidden JSON) so `/backport skip` and `/backport retry` can act on it
 * without a database. Pure: text in, text out.
 */
import type { BranchResult } from '../core/backport.ts';

export type RowStatus =
  | 'pending'
  | 'clean'
  | 'adapted'
  | 'needs-human'
  | 'already-fixed'
  | 'not-affected'
  | 'held'
  | 'skipped'
  | 'error';

export interface SummaryRow {
  branch: string;
  status: RowStatus;
  pr?: { number: number; url: string };
  /** one line shown in the table */
  note?: string;
  /** markdown shown below the table (reproduction commands, prerequisites) */
  details?: string;
}

/** How to find the candidate again for `/backport retry`. */
export type CandidateSource =
  | { kind: 'commit'; sha: string }
  | { kind: 'issue-body'; issue: number }
  | { kind: 'file'; path: string };

export interface SummaryState {
  /** sha40 of the upstream commit, or `mail-<hash>` when the mail's commit is not known */
  key: string;
  subject: string;
  source: CandidateSource;
  branches?: string[];
  rows: SummaryRow[];
}

const ICON: Record<RowStatus, string> = {
  pending: '⏳',
  clean: '✅',
  adapted: '⚠️',
  'needs-human': '❌',
  'already-fixed': '✅',
  'not-affected': '➖',
  held: '⏸️',
  skipped: '⏭️',
  error: '❌',
};

const WORDS: Record<RowStatus, string> = {
  pending: 'in progress',
  clean: 'clean',
  adapted: 'adapted',
  'needs-human': 'needs a human',
  'already-fixed': 'already fixed',
  'not-affected': 'not affected',
  held: 'not published (policy)',
  skipped: 'skipped',
  error: 'failed',
};

export function summaryMarker(key: string): string {
  return `<!-- stablebot:summary:${key} -->`;
}

const STATE_RE = /<!-- stablebot:state:([A-Za-z0-9+/=]+) -->/;
const MARKER_RE = /<!-- stablebot:summary:([0-9a-z-]+) -->/;

/** User and commit text in the table: no HTML, so nobody can forge our hidden markers or state. */
function cell(text: string): string {
  return text.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function neutralise(markdown: string): string {
  return markdown.replace(/<!--/g, '&lt;!--');
}

export function renderSummary(state: SummaryState): string {
  const short = /^[0-9a-f]{40}$/.test(state.key) ? `\`${state.key.slice(0, 12)}\` ` : '';
  const lines = [
    summaryMarker(state.key),
    `### stablebot: ${short}${cell(state.subject)}`,
    '',
    '| branch | result | pull request / notes |',
    '|---|---|---|',
  ];
  for (const row of state.rows) {
    const where = [row.pr ? `#${row.pr.number}` : '', row.note ? cell(row.note) : ''].filter(Boolean).join(' — ');
    lines.push(`| \`${row.branch}\` | ${ICON[row.status]} ${WORDS[row.status]} | ${where} |`);
  }
  if (state.rows.length === 0) lines.push('| — | ⏳ in progress | |');
  const detailed = state.rows.filter((r) => r.details);
  for (const row of detailed) {
    lines.push('', `<details><summary><code>${row.branch}</code>: what a human needs to do</summary>`, '', neutralise(row.details!), '', '</details>');
  }
  lines.push('', `<!-- stablebot:state:${Buffer.from(JSON.stringify(state)).toString('base64')} -->`);
  return lines.join('\n');
}

export function readSummaryKey(body: string): string | null {
  return MARKER_RE.exec(body)?.[1] ?? null;
}

export function readSummaryState(body: string): SummaryState | null {
  // our state is the last line we write; take the last match in case anything above imitates it
  const m = [...body.matchAll(new RegExp(STATE_RE.source, 'g'))].at(-1);
  if (!m) return null;
  try {
    const state = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as SummaryState;
    return typeof state.key === 'string' && Array.isArray(state.rows) ? state : null;
  } catch {
    return null;
  }
}

export function upsertRow(state: SummaryState, row: SummaryRow): SummaryState {
  const rows = state.rows.some((r) => r.branch === row.branch)
    ? state.rows.map((r) => (r.branch === row.branch ? row : r))
    : [...state.rows, row];
  return { ...state, rows };
}

/** What a human needs when the bot gave up on a branch: why, the commands to reproduce, the prerequisites. */
export function needsHumanDetails(result: BranchResult): string {
  const f = result.failure;
  if (!f) return 'No failure details were recorded.';
  const out = [`**${f.check}**: ${f.reason}`];
  if (f.commands.length) out.push('', 'Reproduce:', '', '```sh', ...f.commands, '```');
  if (f.prerequisites.length) out.push('', 'Possible prerequisites:', '', ...f.prerequisites.map((p) => `- ${p}`));
  return out.join('\n');
}
