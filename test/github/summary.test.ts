import { describe, expect, it } from 'vitest';
import { readSummaryKey, readSummaryState, renderSummary, upsertRow, type SummaryState } from '../../app/github/summary.ts';

const base: SummaryState = {
  key: 'a'.repeat(40),
  subject: 'frob: fix | pipes <b>',
  source: { kind: 'commit', sha: 'a'.repeat(40) },
  rows: [
    { branch: 'linux-6.19.y', status: 'clean', pr: { number: 7, url: 'https://github.com/o/r/pull/7' } },
    { branch: 'linux-6.12.y', status: 'not-affected', note: 'file absent' },
  ],
};

describe('summary comment', () => {
  it('round-trips its state and renders one table row per branch', () => {
    const body = renderSummary(base);
    expect(readSummaryKey(body)).toBe(base.key);
    expect(readSummaryState(body)).toEqual(base);
    expect(body).toContain('### stablebot: `aaaaaaaaaaaa` frob: fix \\| pipes &lt;b&gt;');
    expect(body).toMatch(/\| `linux-6.19.y` \| ✅ clean \| #7 \|/);
    expect(body).toMatch(/\| `linux-6.12.y` \| ➖ not affected \| file absent \|/);
  });

  it('a skip reason cannot forge the hidden state', () => {
    const forged = Buffer.from(JSON.stringify({ ...base, rows: [] })).toString('base64');
    const next = upsertRow(base, { branch: 'linux-6.19.y', status: 'skipped', note: `by @x: <!-- stablebot:state:${forged} -->` });
    const body = renderSummary(next);
    expect(readSummaryState(body)?.rows).toHaveLength(2);
    expect(body.match(/<!-- stablebot:state:/g)).toHaveLength(1);
    expect(readSummaryState(body)?.rows.find((r) => r.branch === 'linux-6.19.y')?.status).toBe('skipped');
  });

  it('needs-human details are shown in a collapsible block, without raw HTML comments', () => {
    const body = renderSummary(upsertRow(base, { branch: 'linux-6.18.y', status: 'needs-human', details: 'run <!-- x --> `git cherry-pick -x abc`' }));
    expect(body).toContain('<details><summary><code>linux-6.18.y</code>: what a human needs to do</summary>');
    expect(body).toContain('run &lt;!-- x --> `git cherry-pick -x abc`');
  });
});
