/** Loading and validating rules/*.yml. A bad rule file is a configuration error with the file and field named. */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { StablebotError } from '../core/errors.ts';
import { ruleFileSchema, type Rule } from './schema.ts';

/** the repository's rules/ folder */
export const DEFAULT_RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../rules');

export function parseRuleFile(text: string, origin: string): Rule[] {
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new StablebotError('bad-config', `${origin}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = ruleFileSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new StablebotError('bad-config', `${origin}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return 'rules' in r.data ? r.data.rules : [r.data];
}

export function loadRulesFrom(dir: string): Rule[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const rules = files.flatMap((f) => parseRuleFile(readFileSync(join(dir, f), 'utf8'), f));
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.name)) throw new StablebotError('bad-config', `rule name used twice: ${r.name}`);
    seen.add(r.name);
  }
  return rules;
}

let cached: Rule[] | null = null;

/** The repository's enabled rules. */
export function loadDefaultRules(): Rule[] {
  cached ??= loadRulesFrom(DEFAULT_RULES_DIR).filter((r) => r.enabled);
  return cached;
}
