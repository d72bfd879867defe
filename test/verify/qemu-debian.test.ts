/**
 * Real QEMU runs on Debian's prebuilt 6.12 kernel (fetched by test/verify/prereqs.mjs into
 * ~/.cache/stablebot/kernel): the harness must tell a clean error path from a broken one, and end a guest that
 * panics or hangs. Not skipped when tools are missing: it fails with the command that fixes the machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runErrorPath, type KernelUnderTest } from '../../app/verify/error-path-run.ts';

const CACHE = process.env.STABLEBOT_KERNEL_CACHE ?? join(homedir(), '.cache/stablebot/kernel');
let kernel: KernelUnderTest;

beforeAll(() => {
  const current = join(CACHE, 'current');
  if (!existsSync(current)) throw new Error(`no Debian test kernel in ${CACHE}: run  node test/verify/prereqs.mjs`);
  const kver = readFileSync(current, 'utf8').trim();
  const root = join(CACHE, kver, 'root');
  kernel = {
    image: join(root, 'boot', `vmlinuz-${kver}`),
    modules: { root, kver, names: ['nvme'] },
    injector: join(CACHE, kver, 'kpinj/kpinj.ko'),
  };
  for (const f of [kernel.image, kernel.injector]) if (!existsSync(f)) throw new Error(`${f} missing: run  node test/verify/prereqs.mjs`);
});

describe('error-path runs in QEMU (Debian 6.12, NVMe behind intel-iommu)', () => {
  it('fails every 3rd intel_iommu_map_pages: the kernel cleans up → PASS, data OK, injections and proof counted', async () => {
    const r = await runErrorPath({
      kernel,
      scenarios: [{ function: 'intel_iommu_map_pages', retval: -12, interval: 3, skip: 0, times: 150 }],
      // __iommu_map() is the caller that undoes a partial mapping when map_pages fails
      proofProbe: '__iommu_map',
      ioMb: 8,
      timeoutSec: 150,
    });
    expect(r.verdict.splats).toEqual([]);
    expect(r.verdict.verdict).toBe('PASS');
    expect(r.verdict.dataOk).toBe(true);
    expect(r.verdict.injected).toBeGreaterThan(0);
    expect(r.verdict.proofCount).toBeGreaterThan(0);
    expect(r.excerpt).toContain('STABLEBOT-VERDICT: scenario=intel_iommu_map_pages data=OK');
  }, 240_000);

  it('positive control: the same failures with iommu_unmap made a no-op (cleanup forgotten) → FAIL, splat quoted', async () => {
    const r = await runErrorPath({
      kernel,
      scenarios: [
        { function: 'intel_iommu_map_pages', retval: -12, interval: 2, skip: 1, times: 200, noop: { function: 'iommu_unmap', retval: 0 }, label: 'unmap-skipped' },
      ],
      ioMb: 8,
      timeoutSec: 150,
    });
    expect(r.verdict.verdict).toBe('FAIL');
    expect(r.verdict.splats.length).toBeGreaterThan(0);
    // the forgotten cleanup shows as an IOMMU fault or warning, or (when a stale mapping is hit early) as an oops or
    // panic: any of them is the control failing for the right reason, quoted
    expect(r.verdict.splats.some((s) => /WARNING: |DMA PTE for vPFN|DMAR: |BUG: |Oops|general protection fault|Kernel panic/.test(s))).toBe(true);
    expect(r.verdict.scenarios[0].noop).toBeGreaterThan(0);
    expect(r.verdict.injected).toBeGreaterThan(0);
  }, 240_000);

  it('a guest that panics ends the VM at once and is FAIL with the panic quoted', async () => {
    const init = ['#!/bin/sh', '/bin/busybox mount -t proc proc /proc', 'echo STABLEBOT-BEGIN > /dev/kmsg', 'echo c > /proc/sysrq-trigger', '/bin/busybox sleep 600', ''].join('\n');
    const r = await runErrorPath({ kernel: { ...kernel, modules: undefined }, scenarios: [], initOverride: init, timeoutSec: 120 });
    expect(r.timedOut).toBe(false);
    expect(r.verdict.verdict).toBe('FAIL');
    expect(r.verdict.reachedEnd).toBe(false);
    expect(r.verdict.splats.some((s) => /Kernel panic|sysrq triggered crash|Oops/.test(s))).toBe(true);
  }, 240_000);

  it('a guest that hangs is killed at the time limit: FAIL hang/timeout', async () => {
    const init = ['#!/bin/sh', '/bin/busybox sleep 600', ''].join('\n');
    const t0 = Date.now();
    const r = await runErrorPath({ kernel: { ...kernel, modules: undefined }, scenarios: [], initOverride: init, timeoutSec: 30 });
    expect(r.timedOut).toBe(true);
    expect(r.verdict.verdict).toBe('FAIL');
    expect(r.verdict.reasons[0]).toMatch(/hang\/timeout/);
    expect(Date.now() - t0).toBeLessThan(120_000);
  }, 240_000);
});
