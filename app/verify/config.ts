/**
 * The `verify:` section of `.github/stablebot.yml` (and the same settings from CLI flags).
 *
 *   verify:
 *     build: { fragment: app/verify/kernel/errpath.config, jobs: 2, timeoutSec: 3600 }
 *     qemu:
 *       inject: [{ function: dma_iova_link, retval: -12, interval: 2, skip: 0, times: 100, filter: { arg: 4, min: 1 } }]
 *       proofProbe: blk_rq_dma_map_iova
 *       timeoutSec: 600
 */
import { z } from 'zod';
import { StablebotError } from '../core/errors.ts';

/** A kernel symbol as kallsyms prints it (compiler clones carry a dotted suffix). */
const symbol = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_.]+)?$/, 'not a kernel symbol name');

/** A file path without NUL, newline or parent escapes; relative paths are taken from the kernel tree. */
const path = z
  .string()
  .min(1)
  .refine((p) => !/[\0\n]/.test(p) && !p.split('/').includes('..'), 'path must not contain "..", NUL or newlines');

export const injectSchema = z.object({
  /** the function made to fail */
  function: symbol,
  /** the value it returns instead (e.g. -12 = -ENOMEM; for pointer returns -12 is ERR_PTR(-ENOMEM), 0 is NULL) */
  retval: z.number().int().default(-12),
  /** fail every N-th eligible call; 0 = only count calls */
  interval: z.number().int().min(0).default(2),
  /** let the first N eligible calls through */
  skip: z.number().int().min(0).default(0),
  /** at most N failures; -1 = no limit */
  times: z.number().int().min(-1).default(100),
  /** only calls whose argument `arg` (1..6) is >= `min` are eligible (e.g. an offset > 0 = a partial mapping) */
  filter: z.object({ arg: z.number().int().min(1).max(6), min: z.number().int().min(0) }).optional(),
  /** turn this function into a no-op for the run (positive controls: "the cleanup never happens") */
  noop: z.object({ function: symbol, retval: z.number().int().default(0) }).optional(),
  /** a label for the report; defaults to the function name */
  label: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/)
    .optional(),
});

export const buildSchema = z.object({
  /** a complete .config to use as is */
  config: path.optional(),
  /** a fragment applied on allnoconfig then completed by olddefconfig (default: app/verify/kernel/errpath.config) */
  fragment: path.optional(),
  jobs: z.number().int().min(1).max(256).optional(),
  timeoutSec: z.number().int().min(10).default(3600),
});

export const qemuSchema = z.object({
  /** a prebuilt kernel image (skips the kernel build; e.g. a distribution kernel) */
  kernel: path.optional(),
  /** a prebuilt initramfs (skips generating one) */
  initramfs: path.optional(),
  inject: z.array(injectSchema).default([]),
  /** the function whose calls with an injected error prove the changed code ran; comma-separated fallbacks */
  proofProbe: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.]*(,[A-Za-z_][A-Za-z0-9_.]*)*$/)
    .optional(),
  /** MiB written and read back per scenario (direct and page-cache each) */
  ioMb: z.number().int().min(1).max(256).default(16),
  memoryMb: z.number().int().min(256).max(16384).default(1024),
  timeoutSec: z.number().int().min(10).default(600),
  /** also run the same test on the unpatched tree, to tell "fixed" from "never broken" */
  control: z.boolean().default(true),
});

export const verifySchema = z.object({
  build: buildSchema.default({ timeoutSec: 3600 }),
  qemu: qemuSchema.optional(),
});

export type InjectSpec = z.infer<typeof injectSchema>;
export type BuildConfig = z.infer<typeof buildSchema>;
export type QemuConfig = z.infer<typeof qemuSchema>;
export type VerifyConfig = z.infer<typeof verifySchema>;

export function parseVerifyConfig(input: unknown): VerifyConfig {
  const r = verifySchema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new StablebotError('bad-config', `verify.${issue.path.join('.')}: ${issue.message}`);
  }
  return r.data;
}

/**
 * One `--inject` CLI flag: `FUNC[:RETVAL][,interval=N][,skip=N][,times=N][,arg=N,min=N][,noop=SYM]`,
 * e.g. `dma_iova_link:-12,interval=2,times=100,arg=4,min=1`.
 */
export function parseInjectFlag(flag: string): InjectSpec {
  const [head, ...opts] = flag.split(',');
  const [fn, ret] = head.split(':');
  const raw: Record<string, unknown> = { function: fn };
  if (ret !== undefined) raw.retval = toInt(ret, flag);
  let arg: number | undefined;
  let min: number | undefined;
  for (const opt of opts) {
    const [k, v] = opt.split('=');
    if (v === undefined) throw new StablebotError('bad-input', `--inject ${flag}: "${opt}" is not key=value`);
    if (k === 'interval' || k === 'skip' || k === 'times') raw[k] = toInt(v, flag);
    else if (k === 'arg') arg = toInt(v, flag);
    else if (k === 'min') min = toInt(v, flag);
    else if (k === 'noop') raw.noop = { function: v };
    else if (k === 'label') raw.label = v;
    else throw new StablebotError('bad-input', `--inject ${flag}: unknown option "${k}"`);
  }
  if ((arg === undefined) !== (min === undefined)) throw new StablebotError('bad-input', `--inject ${flag}: arg= and min= go together`);
  if (arg !== undefined) raw.filter = { arg, min };
  const r = injectSchema.safeParse(raw);
  if (!r.success) throw new StablebotError('bad-input', `--inject ${flag}: ${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`);
  return r.data;
}

function toInt(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v)) throw new StablebotError('bad-input', `--inject ${flag}: "${v}" is not an integer`);
  return Number(v);
}

export interface VerifyFlags {
  config?: string;
  fragment?: string;
  jobs?: string;
  buildTimeout?: string;
  kernel?: string;
  initramfs?: string;
  inject?: string[];
  proof?: string;
  qemuTimeout?: string;
  noControl?: boolean;
}

/** CLI flags → the same validated config the repository file gives (flags win over `base`). */
export function verifyConfigFromFlags(flags: VerifyFlags, base: VerifyConfig = parseVerifyConfig({})): VerifyConfig {
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new StablebotError('bad-input', `--${name}: "${v}" is not a positive integer`);
    return Number(v);
  };
  const build = {
    ...base.build,
    ...(flags.config !== undefined && { config: flags.config }),
    ...(flags.fragment !== undefined && { fragment: flags.fragment }),
    ...(flags.jobs !== undefined && { jobs: num(flags.jobs, 'jobs') }),
    ...(flags.buildTimeout !== undefined && { timeoutSec: num(flags.buildTimeout, 'build-timeout') }),
  };
  const wantsQemu = base.qemu || flags.kernel || flags.initramfs || flags.inject?.length || flags.proof || flags.qemuTimeout;
  const qemu = wantsQemu
    ? {
        ...(base.qemu ?? {}),
        ...(flags.kernel !== undefined && { kernel: flags.kernel }),
        ...(flags.initramfs !== undefined && { initramfs: flags.initramfs }),
        ...(flags.inject?.length && { inject: flags.inject.map(parseInjectFlag) }),
        ...(flags.proof !== undefined && { proofProbe: flags.proof }),
        ...(flags.qemuTimeout !== undefined && { timeoutSec: num(flags.qemuTimeout, 'qemu-timeout') }),
        ...(flags.noControl && { control: false }),
      }
    : undefined;
  return parseVerifyConfig({ build, qemu });
}
