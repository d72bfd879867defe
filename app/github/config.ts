import { verifySchema, type VerifyConfig } from '../verify/config.ts';
/**
 * Per-repository configuration: `.github/stablebot.yml`, read with probot's context.config() and validated with
 * zod. A bad file is reported once (a comment or a failed check run), never thrown at the webhook.
 */
import { z } from 'zod';
import type { Person } from '../core/candidate.ts';
import { branchProblem } from './commands.ts';

export const CONFIG_FILE = 'stablebot.yml';

/** Branch names or glob patterns ("linux-*.y"): the same safe alphabet as user-given branches, plus `*`. */
const branchPattern = z.string().refine((s) => branchProblem(s.replaceAll('*', 'x')) === null, {
  message: 'not a branch name or glob pattern like "linux-*.y"',
});

const person = z.strictObject({
  name: z.string().min(1).max(100).refine((s) => !/[<>\n]/.test(s), 'no <, > or line breaks'),
  email: z.string().email(),
});

export const configSchema = z.strictObject({
  upstreamBranch: z
    .string()
    .refine((s) => branchProblem(s) === null, 'not a valid branch name')
    .default('master'),
  stableBranches: z
    .union([branchPattern, z.array(branchPattern).min(1)])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .default(['linux-*.y']),
  policy: z.enum(['clean-only', 'clean-and-adapted', 'report-only']).default('clean-and-adapted'),
  labels: z
    .strictObject({
      backport: z.string().min(1).max(50).default('stable-backport'),
      adapted: z.string().min(1).max(50).default('adapted'),
      needsHuman: z.string().min(1).max(50).default('needs-human'),
    })
    .default({ backport: 'stable-backport', adapted: 'adapted', needsHuman: 'needs-human' }),
  committer: person.optional(),
  /** build check and QEMU error-path test (schema owned by app/verify) */
  verify: verifySchema.optional(),
});

export type StablebotConfig = {
  upstreamBranch: string;
  stableBranches: string[];
  policy: 'clean-only' | 'clean-and-adapted' | 'report-only';
  labels: { backport: string; adapted: string; needsHuman: string };
  committer?: Person;
  verify?: VerifyConfig;
};

export type ConfigResult = { ok: true; config: StablebotConfig } | { ok: false; error: string };

/** Validate an already-parsed YAML value (null = no file: all defaults). */
export function parseConfig(raw: unknown): ConfigResult {
  const parsed = configSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, config: parsed.data as StablebotConfig };
  const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  return { ok: false, error: `.github/${CONFIG_FILE} is invalid: ${problems.join('; ')}` };
}

/** What reading the file needs from a probot Context (kept narrow so tests and jobs can supply it). */
export interface ConfigSource {
  config<T>(fileName: string): Promise<T | null>;
}

export async function loadConfig(source: ConfigSource): Promise<ConfigResult> {
  let raw: unknown;
  try {
    raw = await source.config<unknown>(CONFIG_FILE);
  } catch (e) {
    // the config plugin throws on invalid YAML or a directory in place of the file
    const why = e instanceof Error ? e.message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, '') : String(e);
    return { ok: false, error: `.github/${CONFIG_FILE} could not be read: ${why}` };
  }
  return parseConfig(raw);
}

export const defaultConfig = (): StablebotConfig => (parseConfig({}) as { ok: true; config: StablebotConfig }).config;
