import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logExcerpt, scanSerialLog } from '../../app/verify/serial-verdict.ts';

const boot = [
  '\x1b[?7l\x1b[2JSeaBIOS (version 1.16.2)',
  '[    0.000000] Linux version 6.12.99-test (gcc 12)',
  '[    0.004000] DMAR: DRHD base: 0x000000fed90000 flags: 0x0',
  '[    0.010000] DMA-API: preallocated 65536 debug entries',
  '[    0.010100] DMA-API: debugging enabled by kernel config',
  '[    1.100000] STABLEBOT-BEGIN kernel=6.12.99-test',
];
const end = ['[    9.000000] STABLEBOT-END', '[    9.100000] ACPI: PM: Preparing to enter system sleep state S5', '[    9.200000] reboot: Power down'];
const verdictLine = (over: Record<string, string | number> = {}) => {
  const f = { scenario: 'map_fail', data: 'OK', injected: 40, hits: 900, proof: 40, proof_ret0: 0, proof_retnz: 40, noop: 0, ...over };
  return `[    8.000000] STABLEBOT-VERDICT: ${Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
};
const log = (...middle: string[]) => [...boot, ...middle, ...end].join('\r\n');

describe('scanSerialLog', () => {
  it('PASS: injected, proof counted, data intact, clean power-off; boot noise is not a splat', () => {
    const v = scanSerialLog(log(verdictLine()));
    expect(v.verdict).toBe('PASS');
    expect(v.splats).toEqual([]);
    expect(v).toMatchObject({ dataOk: true, injected: 40, proofCount: 40, reachedEnd: true, poweredOff: true });
    expect(v.scenarios[0]).toMatchObject({ label: 'map_fail', hits: 900, proofRetNonZero: 40, proofRet0: 0 });
    expect(scanSerialLog(log("[ 5.0] STABLEBOT-PROOF: scenario=map_fail probe=foo_start", verdictLine())).scenarios[0].proofProbe).toBe("foo_start");
  });

  it('FAIL on a WARNING splat, quoting it once even when it repeats with other timestamps', () => {
    const warn = (t: string) => `[   ${t}] WARNING: CPU: 1 PID: 170 at drivers/iommu/intel/iommu.c:1884 intel_iommu_map_pages+0x38f/0x750`;
    const v = scanSerialLog(log('[    5.1] DMAR: ERROR: DMA PTE for vPFN 0xfff80 already set (to 1 not 1)', warn('5.2'), warn('5.3'), verdictLine()));
    expect(v.verdict).toBe('FAIL');
    expect(v.splatCount).toBe(3);
    expect(v.splats).toHaveLength(2);
    expect(v.splats[0]).toContain('DMA PTE for vPFN');
    expect(v.splats[1]).toContain('WARNING: CPU: 1 PID: 170');
  });

  it.each([
    ['DMAR fault', '[ 3.0] DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr 0xffc27000 [fault reason 0x06] PTE Read access is not set'],
    ['DRHD fault', '[ 3.0] DMAR: DRHD: handling fault status reg 2'],
    ['KASAN', '[ 3.0] BUG: KASAN: slab-use-after-free in nvme_unmap_data+0x1/0x2'],
    ['UBSAN', '[ 3.0] UBSAN: shift-out-of-bounds in block/blk-merge.c:12:3'],
    ['Oops', '[ 3.0] Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP'],
    ['soft lockup', '[ 30.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [dd:171]'],
    ['hung task', '[ 120.0] INFO: task dd:171 blocked for more than 120 seconds.'],
    ['rcu stall', '[ 30.0] rcu: INFO: rcu_preempt self-detected stall on CPU'],
    ['QEMU translation error', 'qemu-system-x86_64: vtd_iova_to_slpte: detected slpte permission error (iova=0xffc27000, level=0x1)'],
  ])('FAIL on %s', (_name, line) => {
    const v = scanSerialLog(log(line, verdictLine()));
    expect(v.verdict).toBe('FAIL');
    expect(v.splats).toEqual([line.trim()]);
  });

  it('FAIL on a data mismatch even without a splat', () => {
    const v = scanSerialLog(log(verdictLine({ data: 'MISMATCH' })));
    expect(v.verdict).toBe('FAIL');
    expect(v.dataOk).toBe(false);
    expect(v.reasons.join(' ')).toMatch(/data mismatch in scenario map_fail/);
  });

  it('FAIL when the guest panicked before the end (no STABLEBOT-END, no power-off)', () => {
    const text = [...boot, '[    2.0] sysrq: Trigger a crash', '[    2.1] Kernel panic - not syncing: sysrq triggered crash'].join('\n');
    const v = scanSerialLog(text);
    expect(v.verdict).toBe('FAIL');
    expect(v.reachedEnd).toBe(false);
    expect(v.poweredOff).toBe(false);
    expect(v.splats[0]).toContain('Kernel panic - not syncing');
  });

  it('FAIL "hang/timeout" when the host killed the VM, whatever the log says', () => {
    const v = scanSerialLog(boot.join('\n'), { timedOut: true });
    expect(v.verdict).toBe('FAIL');
    expect(v.reasons[0]).toMatch(/hang\/timeout/);
  });

  it('INCONCLUSIVE when nothing was injected: a clean run that tested nothing is not a PASS', () => {
    const v = scanSerialLog(log(verdictLine({ injected: 0, proof: 0 })));
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.reasons.join(' ')).toMatch(/nothing was injected/);
  });

  it('INCONCLUSIVE when the changed function never ran with an injected error', () => {
    const v = scanSerialLog(log(verdictLine({ injected: 12, proof: 0 })));
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.proofCount).toBe(0);
  });

  it('a run without a proof probe is judged on injection alone (proof=na)', () => {
    const v = scanSerialLog(log(verdictLine({ proof: 'na' })));
    expect(v.verdict).toBe('PASS');
    expect(v.proofCount).toBeNull();
  });

  it('INCONCLUSIVE when the injector could not be armed, and no scenario line at all', () => {
    const v = scanSerialLog(log('[ 2.0] STABLEBOT-ERROR: scenario=x inject function foo_map not in this kernel (inlined or absent)'));
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.errors[0]).toMatch(/foo_map not in this kernel/);
    expect(v.injected).toBeNull();
  });

  it('sums several scenarios and fails if any one mismatches', () => {
    const v = scanSerialLog(log(verdictLine(), verdictLine({ scenario: 'sync_fail', injected: 5, proof: 5, data: 'MISMATCH' })));
    expect(v.injected).toBe(45);
    expect(v.proofCount).toBe(45);
    expect(v.verdict).toBe('FAIL');
  });

  it('excerpt keeps markers and splats, drops boot noise', () => {
    const text = log('[ 4.0] kpinj: inject armed on foo_map', '[ 5.0] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2', verdictLine());
    const ex = logExcerpt(text);
    expect(ex).toContain('STABLEBOT-VERDICT');
    expect(ex).toContain('WARNING: CPU: 0');
    expect(ex).not.toContain('SeaBIOS');
  });
});

// The prototype's real logs, when this machine has them (never required).
const PROTO = '/work/shared/qemu-proto/logs';
describe.runIf(existsSync(PROTO))('prototype serial logs', () => {
  const read = (f: string) => readFileSync(join(PROTO, f), 'utf8');
  it('the positive control log is FAIL with the intel_iommu_map_pages WARNING quoted', () => {
    if (!readdirSync(PROTO).includes('nvme612-kpinj-bug.log')) return;
    const v = scanSerialLog(read('nvme612-kpinj-bug.log'));
    expect(v.verdict).toBe('FAIL');
    expect(v.splats.some((s) => /WARNING: .*intel_iommu_map_pages/.test(s))).toBe(true);
  });
  it('the pre-fix 7.2 log is FAIL on IOMMU faults', () => {
    if (!readdirSync(PROTO).includes('iova72-prefix.log')) return;
    const v = scanSerialLog(read('iova72-prefix.log'));
    expect(v.verdict).toBe('FAIL');
    expect(v.splats.some((s) => /DMAR: \[DMA Read|vtd_iova_to_slpte|__iommu_dma_iova_unlink/.test(s))).toBe(true);
  });
  it('the post-fix 7.2 log has no splat (its markers predate ours, so it is not a PASS here)', () => {
    if (!readdirSync(PROTO).includes('iova72-postfix.log')) return;
    const v = scanSerialLog(read('iova72-postfix.log'));
    expect(v.splats).toEqual([]);
    expect(v.verdict).not.toBe('PASS');
  });
});
