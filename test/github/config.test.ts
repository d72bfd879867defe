import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../app/github/config.ts';

describe('.github/stablebot.yml', () => {
  it('defaults when there is no file', () => {
    expect(parseConfig(null)).toEqual({
      ok: true,
      config: {
        upstreamBranch: 'master',
        stableBranches: ['linux-*.y'],
        policy: 'clean-and-adapted',
        labels: { backport: 'stable-backport', adapted: 'adapted', needsHuman: 'needs-human' },
      },
    });
  });

  it('accepts a single pattern, partial labels, a committer and a verify section', () => {
    const r = parseConfig({
      upstreamBranch: 'main',
      stableBranches: 'linux-6.*.y',
      labels: { adapted: 'backport-adapted' },
      committer: { name: 'Stable Bot', email: 'bot@example.org' },
      verify: { build: { fragment: 'kernel/errpath.config', timeoutSec: 900 }, qemu: { inject: [{ function: 'dma_iova_link', retval: -12 }] } },
    });
    expect(r).toMatchObject({
      ok: true,
      config: {
        upstreamBranch: 'main',
        stableBranches: ['linux-6.*.y'],
        labels: { backport: 'stable-backport', adapted: 'backport-adapted', needsHuman: 'needs-human' },
        committer: { name: 'Stable Bot', email: 'bot@example.org' },
        verify: { build: { fragment: 'kernel/errpath.config', timeoutSec: 900 }, qemu: { inject: [{ function: 'dma_iova_link', retval: -12 }] } },
      },
    });
  });

  it('rejects a verify section the verify stage cannot run, in the same one-line error', () => {
    const r = parseConfig({ verify: { build: { timeoutSec: 'soon' } } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/verify/);
  });

  it('lists every problem in one line', () => {
    const r = parseConfig({ policy: 'yolo', stableBranches: ['--upload-pack=x', 'linux-6.1.y'], committer: { name: 'x\ny', email: 'nope' }, typo: 1 });
    expect(r.ok).toBe(false);
    const error = (r as { error: string }).error;
    expect(error.split('\n')).toHaveLength(1);
    for (const part of ['policy', 'stableBranches.0', 'committer.name', 'committer.email', 'typo']) expect(error).toContain(part);
  });

  it('a read failure (invalid YAML) becomes a result, not an exception', async () => {
    const r = await loadConfig({
      config: async () => {
        throw new Error('[@probot/octokit-plugin-config] Configuration could not be parsed from x (invalid YAML)');
      },
    });
    expect(r).toEqual({ ok: false, error: '.github/stablebot.yml could not be read: Configuration could not be parsed from x (invalid YAML)' });
  });
});
