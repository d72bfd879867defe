import { describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { compareRuns } from '../../app/verify/compare.ts';
import { parseInjectFlag, parseVerifyConfig, verifyConfigFromFlags } from '../../app/verify/config.ts';

describe('verify config', () => {
  it('fills defaults and keeps the repository values', () => {
    const c = parseVerifyConfig({
      build: { fragment: 'kernel/configs/test.config', jobs: 4 },
      qemu: { inject: [{ function: 'foo_map_pages', filter: { arg: 2, min: 1 } }], proofProbe: 'foo_submit,foo_queue' },
    });
    expect(c.build).toEqual({ fragment: 'kernel/configs/test.config', jobs: 4, timeoutSec: 3600 });
    expect(c.qemu?.inject[0]).toEqual({ function: 'foo_map_pages', retval: -12, interval: 2, skip: 0, times: 100, filter: { arg: 2, min: 1 } });
    expect(c.qemu).toMatchObject({ timeoutSec: 600, ioMb: 16, control: true, proofProbe: 'foo_submit,foo_queue' });
    expect(parseVerifyConfig(undefined).qemu).toBeUndefined();
  });

  it.each([
    [{ qemu: { inject: [{ function: 'foo; reboot' }] } }, /verify\.qemu\.inject\.0\.function/],
    [{ qemu: { inject: [{ function: 'foo', filter: { arg: 7, min: 1 } }] } }, /filter\.arg/],
    [{ build: { fragment: '../../etc/passwd' } }, /verify\.build\.fragment/],
    [{ qemu: { proofProbe: 'a b' } }, /verify\.qemu\.proofProbe/],
  ])('rejects %j with one clear line', (input, msg) => {
    expect(() => parseVerifyConfig(input)).toThrow(StablebotError);
    expect(() => parseVerifyConfig(input)).toThrow(msg);
  });

  it('parses --inject flags', () => {
    expect(parseInjectFlag('bar_link:-5,interval=3,skip=1,times=7,arg=4,min=2,noop=bar_unmap')).toEqual({
      function: 'bar_link',
      retval: -5,
      interval: 3,
      skip: 1,
      times: 7,
      filter: { arg: 4, min: 2 },
      noop: { function: 'bar_unmap', retval: 0 },
    });
    expect(parseInjectFlag('baz_alloc:0')).toMatchObject({ function: 'baz_alloc', retval: 0, interval: 2 });
    expect(() => parseInjectFlag('baz_alloc,arg=2')).toThrow(/arg= and min= go together/);
    expect(() => parseInjectFlag('baz_alloc,when=now')).toThrow(/unknown option "when"/);
    expect(() => parseInjectFlag('baz_alloc:x')).toThrow(/not an integer/);
  });

  it('flags override the repository config', () => {
    const base = parseVerifyConfig({ build: { jobs: 2 }, qemu: { inject: [{ function: 'one_fn' }], timeoutSec: 100 } });
    const c = verifyConfigFromFlags({ jobs: '8', inject: ['two_fn:-22'], noControl: true }, base);
    expect(c.build.jobs).toBe(8);
    expect(c.qemu?.inject.map((i) => [i.function, i.retval])).toEqual([['two_fn', -22]]);
    expect(c.qemu).toMatchObject({ timeoutSec: 100, control: false });
    expect(verifyConfigFromFlags({ jobs: '1' }).qemu).toBeUndefined();
    expect(() => verifyConfigFromFlags({ jobs: 'many' })).toThrow(/--jobs/);
  });
});

describe('compareRuns', () => {
  const run = (verdict: 'PASS' | 'FAIL' | 'INCONCLUSIVE', splats: string[] = []) => ({ verdict, splats, proofCount: 3 });
  it('unpatched FAIL → patched PASS is the strong result', () => {
    const c = compareRuns(run('FAIL', ['[ 1.0] WARNING: CPU: 0 PID: 9 at a.c:1 f']), run('PASS'));
    expect(c).toMatchObject({ evidence: 'reproduced-and-fixed', strong: true, blocking: false });
  });
  it('both PASS is never called proof', () => {
    const c = compareRuns(run('PASS'), run('PASS'));
    expect(c).toMatchObject({ evidence: 'exercised-no-difference', strong: false });
    expect(c.summary).toMatch(/no difference observed/);
    expect(c.summary).not.toMatch(/proof|fixed/i);
  });
  it('a backport that breaks a passing path blocks', () => {
    expect(compareRuns(run('PASS'), run('FAIL'))).toMatchObject({ evidence: 'regression', blocking: true });
  });
  it('both FAIL: same splats modulo timestamps, pids and addresses', () => {
    const a = ['[ 1.0] WARNING: CPU: 0 PID: 9 at a.c:1 f+0x1/0x2'];
    const b = ['[ 7.5] WARNING: CPU: 1 PID: 12 at a.c:1 f+0x1/0x2'];
    expect(compareRuns(run('FAIL', a), run('FAIL', b)).summary).toMatch(/same splats/);
    expect(compareRuns(run('FAIL', a), run('FAIL', ['[ 2.0] BUG: KASAN: x'])).summary).toMatch(/different splats/);
  });
  it('an inconclusive side makes the pair inconclusive; no control run is said plainly', () => {
    expect(compareRuns(run('INCONCLUSIVE'), run('PASS')).evidence).toBe('inconclusive');
    expect(compareRuns(run('FAIL'), run('INCONCLUSIVE')).summary).toMatch(/patched run did not exercise/);
    expect(compareRuns(null, run('PASS'))).toMatchObject({ evidence: 'patched-pass-only', strong: false });
    expect(compareRuns(null, run('FAIL'))).toMatchObject({ evidence: 'patched-fail', blocking: true });
  });
});
