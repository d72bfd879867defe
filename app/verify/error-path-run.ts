/**
 * One error-path test on one kernel: initramfs (busybox + modules + kpinj + rendered /init) → QEMU → verdict from
 * the serial log. Everything temporary (initramfs, disk image, serial log) lives in one temp dir removed at the end;
 * the log text comes back in the result (and is copied to `keepLog` when asked).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectSpec } from './config.ts';
import { buildInitramfs, defaultInitTemplate, renderInit, type ModuleSource } from './initramfs.ts';
import { runQemu, type Accel } from './qemu.ts';
import { logExcerpt, scanSerialLog, type SerialVerdict } from './serial-verdict.ts';

export interface KernelUnderTest {
  /** bzImage / vmlinuz */
  image: string;
  /** modules to put in the initramfs (a distribution kernel); none for an all-built-in test kernel */
  modules?: ModuleSource;
  /** kpinj.ko built for this kernel */
  injector: string;
}

export interface ErrorPathOptions {
  kernel: KernelUnderTest;
  scenarios: InjectSpec[];
  proofProbe?: string;
  ioMb?: number;
  memoryMb?: number;
  timeoutSec: number;
  /** replace the rendered /init (tests of the harness itself: a guest that panics or hangs) */
  initOverride?: string;
  accel?: Accel;
  keepLog?: string;
}

export interface ErrorPathRun {
  verdict: SerialVerdict;
  accel: Accel;
  seconds: number;
  timedOut: boolean;
  initramfsBytes: number;
  excerpt: string;
  log: string;
}

export async function runErrorPath(opts: ErrorPathOptions): Promise<ErrorPathRun> {
  const work = mkdtempSync(join(tmpdir(), 'stablebot-errpath-'));
  try {
    const init =
      opts.initOverride ??
      renderInit(defaultInitTemplate(), { ioMb: opts.ioMb ?? 16, scenarios: opts.scenarios, proofProbe: opts.proofProbe });
    const initrd = await buildInitramfs({ init, modules: opts.kernel.modules, injector: opts.kernel.injector }, join(work, 'initrd.gz'));
    const q = await runQemu({
      kernel: opts.kernel.image,
      initramfs: initrd.file,
      serialLog: join(work, 'serial.log'),
      timeoutSec: opts.timeoutSec,
      memoryMb: opts.memoryMb,
      accel: opts.accel,
    });
    if (opts.keepLog) writeFileSync(opts.keepLog, q.log);
    const verdict = scanSerialLog(q.log, { timedOut: q.timedOut });
    return {
      verdict,
      accel: q.accel,
      seconds: q.seconds,
      timedOut: q.timedOut,
      initramfsBytes: initrd.bytes,
      excerpt: logExcerpt(q.log),
      log: q.log,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
