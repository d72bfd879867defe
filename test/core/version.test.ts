import { describe, expect, it } from 'vitest';
import { compareVersions, isMainlineRelease, seriesOfBranch } from '../../app/core/version.ts';

describe('kernel versions', () => {
  it('orders numerically, not as text', () => {
    expect(compareVersions('6.9', '6.10')).toBeLessThan(0);
    expect(compareVersions('v6.18', '6.18')).toBe(0);
    expect(compareVersions('6.18.3', '6.18')).toBeGreaterThan(0);
    expect(['6.10', '6.9', '6.12', '5.15'].sort(compareVersions)).toEqual(['5.15', '6.9', '6.10', '6.12']);
  });
  it('reads stable branch names and mainline tags', () => {
    expect(seriesOfBranch('linux-6.18.y')).toBe('6.18');
    expect(seriesOfBranch('origin/linux-5.15.y')).toBe('5.15');
    expect(seriesOfBranch('master')).toBeNull();
    expect(isMainlineRelease('v6.17')).toBe(true);
    expect(isMainlineRelease('v6.17.2')).toBe(false);
    expect(isMainlineRelease('v6.17-rc1')).toBe(false);
  });
});
