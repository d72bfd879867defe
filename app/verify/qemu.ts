/**
 * One QEMU run of the error-path test: q35 + emulated Intel IOMMU + an NVMe disk backed by a temporary raw image,
 * the kernel console on a serial log file, a hard time limit. KVM when /dev/kvm is usable, TCG otherwise (CI
 * machines often have no KVM; TCG boots the test kernel in a few seconds anyway).
 */
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StablebotError } from '../core/errors.ts';
import { runLimited } from './run-limited.ts';

export type Accel = 'kvm' | 'tcg';

export interface QemuRunOptions {
  kernel: string;
  initramfs: string;
  /** where the serial console goes; the caller keeps or deletes it */
  serialLog: string;
  timeoutSec: number;
  memoryMb?: number;
  smp?: number;
  diskMb?: number;
  /** extra kernel command-line words (already validated by the caller) */
  append?: string[];
  /** force an accelerator; default: KVM when usable */
  accel?: Accel;
  qemu?: string;
}

export interface QemuRunResult {
  accel: Accel;
  exitCode: number | null;
  timedOut: boolean;
  seconds: number;
  /** QEMU's own messages (e.g. "vtd_iova_to_slpte: detected slpte permission error"), part of the evidence */
  qemuOutput: string;
  /** serial log + QEMU's messages, the text the verdict is read from */
  log: string;
  args: string[];
}

/**
 * Set once KVM failed in this process: nested or restricted KVM (cloud VMs) can open /dev/kvm and still fail to
 * run a kernel ("KVM internal error. Suberror: 1", an instruction its emulator cannot handle).
 */
let kvmBroken = false;

export function kvmUsable(): boolean {
  if (kvmBroken || process.env.STABLEBOT_QEMU_ACCEL === 'tcg') return false;
  try {
    const fd = openSync('/dev/kvm', constants.O_RDWR);
    closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** The command line words every run gets: console on the serial port, panics end the VM, strict IOMMU. */
export const BASE_APPEND = [
  'console=ttyS0',
  'panic=-1',
  'oops=panic',
  'intel_iommu=on',
  'iommu.strict=1',
  // the init reports through /dev/kmsg; do not rate-limit it
  'printk.devkmsg=on',
  // a lost completion must end in seconds, not after the default 30 s per retry
  'nvme_core.io_timeout=5',
];

/** A KVM guest prints its banner within a second or two; this much silence means KVM is not working here. */
const KVM_START_SEC = 20;
const KVM_FAILURE = /KVM internal error|failed to initialize kvm|Could not access KVM kernel module/;

export function qemuArgs(opts: QemuRunOptions, accel: Accel, disk: string): string[] {
  return [
    '-machine',
    accel === 'kvm' ? 'q35,accel=kvm,kernel-irqchip=split' : 'q35,accel=tcg',
    '-cpu',
    accel === 'kvm' ? 'host' : 'max',
    '-smp',
    String(opts.smp ?? 2),
    '-m',
    `${opts.memoryMb ?? 1024}M`,
    '-nographic',
    '-no-reboot',
    '-monitor',
    'none',
    // the console comes through our pipe: the host watches it live (a KVM start that stalls) and writes the log
    '-serial',
    'stdio',
    // the IOMMU must come before the device it translates for
    '-device',
    'intel-iommu,intremap=on',
    '-kernel',
    opts.kernel,
    '-initrd',
    opts.initramfs,
    '-drive',
    `file=${disk},format=raw,if=none,id=nvm,cache=none,aio=threads`,
    '-device',
    'nvme,serial=stablebot0,drive=nvm',
    '-append',
    [...BASE_APPEND, ...(opts.append ?? [])].join(' '),
  ];
}

export async function runQemu(opts: QemuRunOptions): Promise<QemuRunResult> {
  for (const f of [opts.kernel, opts.initramfs]) if (!existsSync(f)) throw new StablebotError('bad-input', `QEMU input missing: ${f}`);
  for (const w of opts.append ?? []) if (!/^[A-Za-z0-9_.,=:/-]+$/.test(w)) throw new StablebotError('bad-input', `bad kernel argument ${JSON.stringify(w)}`);
  const accel = opts.accel ?? (kvmUsable() ? 'kvm' : 'tcg');
  const first = await runOnce(opts, accel);
  if (accel === 'kvm' && first.kvmFailed && !opts.accel) {
    kvmBroken = true;
    return runOnce(opts, 'tcg');
  }
  return first;
}

async function runOnce(opts: QemuRunOptions, accel: Accel): Promise<QemuRunResult & { kvmFailed: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'stablebot-qemu-'));
  try {
    const disk = join(work, 'nvme.img');
    // sparse: costs no disk space until the guest writes
    closeSync(openSync(disk, 'w'));
    truncateSync(disk, (opts.diskMb ?? 128) * 1024 * 1024);
    const args = qemuArgs(opts, accel, disk);
    rmSync(opts.serialLog, { force: true });
    const r = await runLimited(opts.qemu ?? 'qemu-system-x86_64', args, {
      timeoutSec: opts.timeoutSec,
      keepBytes: 64 * 1024,
      logFile: opts.serialLog,
      // nested/restricted KVM can fail loudly or just sit before the kernel prints anything: then use TCG
      abortOn: accel === 'kvm' ? KVM_FAILURE : undefined,
      expectStart: accel === 'kvm' ? { pattern: /Linux version/, withinSec: KVM_START_SEC } : undefined,
    });
    const log = existsSync(opts.serialLog) ? readFileSync(opts.serialLog, 'utf8') : r.output;
    return {
      accel,
      exitCode: r.code,
      timedOut: r.timedOut,
      seconds: r.seconds,
      qemuOutput: log.split('\n').filter((l) => l.startsWith('qemu-system')).join('\n'),
      log,
      args,
      kvmFailed: r.aborted,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
