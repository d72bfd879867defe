/**
 * AUTOSEL-style scoring from computed facts: words of the message, the shape of the diff, review tags. Pure: the
 * provenance part (blame) is added by the sweep, which knows the repository. Each fact is one reason a maintainer
 * can check; the score is their sum.
 */
import type { Trailers } from '../core/candidate.ts';

export interface ScoredFact {
  /** e.g. "message says: use-after-free", "adds error-path label out_unlink:" */
  reason: string;
  weight: number;
  /** a fact that says "this fixes a bug" (at least one is required for AUTOSEL selection) */
  bugSignal: boolean;
}

/** Words of real bug reports; each counts once. */
const BUG_WORDS: [RegExp, string][] = [
  [/use[- ]after[- ]free|\bUAF\b/i, 'use-after-free'],
  [/double[- ]free/i, 'double free'],
  [/out[- ]of[- ]bounds|\bOOB\b/i, 'out-of-bounds'],
  [/\bNULL\b/, 'NULL'],
  [/\bleak(s|ed|ing)?\b/i, 'leak'],
  [/\b(over|under)flow/i, 'overflow'],
  [/\bdeadlock/i, 'deadlock'],
  [/\brac(e|es|y)\b|race condition/i, 'race'],
  [/\bcrash|\boops\b|\bpanic|\bBUG:|general protection fault/i, 'crash'],
  [/corrupt/i, 'corruption'],
  [/\bhang(s)?\b|\bhung\b|lockup|\bstall/i, 'hang'],
  [/uninitiali[sz]ed/i, 'uninitialized'],
  [/\bwarn(ing)?s? (splat|triggered)|\bWARN(_ON)?\b/, 'warning splat'],
];

const COSMETIC = /\b(typos?|spelling|whitespace|coding style|checkpatch|kernel-doc)\b/i;
const FEATURE = /\b(add|adds|introduce|implement|support for|new|rework|refactor|rename|convert|move)\b/i;
const FIX_WORD = /\bfix(es|ed|ing)?\b/i;

const STRONG_WORDS_CAP = 4;

/** Message text a scorer should read: subject and body, without trailers and reference lines. */
function prose(message: string, trailers: Trailers): string {
  const trailerLines = new Set(trailers.all.map((t) => `${t.key}: ${t.value}`));
  return message
    .split('\n')
    .filter((l) => !trailerLines.has(l.trim()) && !/^[A-Za-z-]+-by:|^(Fixes|Link|Cc|Closes):/i.test(l.trim()))
    .join('\n');
}

export interface DiffShape {
  files: string[];
  hunkLines: number;
  /** the diff text, when known (null for diffs over the walk's cap) */
  diff: string | null;
}

export function scoreCommit(subject: string, message: string, trailers: Trailers, shape: DiffShape): ScoredFact[] {
  const facts: ScoredFact[] = [];
  const text = prose(message, trailers);

  let strong = 0;
  const words: string[] = [];
  for (const [re, label] of BUG_WORDS) {
    if (re.test(text)) words.push(label);
  }
  for (const w of words) {
    const weight = Math.min(2, STRONG_WORDS_CAP - strong);
    strong += weight;
    facts.push({ reason: `message says: ${w}`, weight, bugSignal: true });
  }
  if (FIX_WORD.test(subject)) facts.push({ reason: 'subject says it fixes something', weight: 1, bugSignal: true });
  if (COSMETIC.test(subject)) facts.push({ reason: 'cosmetic change (typo, spelling, style)', weight: -3, bugSignal: false });
  else if (!/^Revert "/.test(subject) && !FIX_WORD.test(subject) && words.length === 0 && FEATURE.test(subject)) {
    facts.push({ reason: 'subject reads like a feature or a refactor', weight: -3, bugSignal: false });
  }

  if (shape.files.length > 0 && shape.files.every((f) => f.startsWith('Documentation/') || /\.(rst|txt|md)$/.test(f))) {
    facts.push({ reason: 'documentation only', weight: -3, bugSignal: false });
  }
  if (shape.files.length > 0) {
    if (shape.hunkLines <= 100) facts.push({ reason: `${shape.hunkLines} lines with context (stable limit 100)`, weight: 1, bugSignal: false });
    else facts.push({ reason: `${shape.hunkLines} lines with context: over the 100-line stable limit`, weight: -3, bugSignal: false });
    const subsystems = new Set(shape.files.map(subsystemOf));
    if (subsystems.size === 1) facts.push({ reason: `touches one subsystem (${[...subsystems][0]})`, weight: 1, bugSignal: false });
  }

  if (shape.diff) {
    const added = shape.diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    const gotos = [...new Set(added.map((l) => /^\+\s*goto\s+(\w+)\s*;/.exec(l)?.[1]).filter((x): x is string => !!x))];
    const labels = [...new Set(added.map((l) => /^\+(\w+):\s*$/.exec(l)?.[1]).filter((x): x is string => !!x && x !== 'default'))];
    if (gotos.length || labels.length) {
      const what = [...labels.map((l) => `label ${l}:`), ...gotos.filter((g) => !labels.includes(g)).map((g) => `goto ${g}`)];
      facts.push({ reason: `error-path change: adds ${what.join(', ')}`, weight: 2, bugSignal: true });
    }
    const nullCheck = added.find((l) => /if\s*\(\s*!\s*[\w>.\-[\]]+\s*\)|[!=]=\s*NULL\b|\bIS_ERR(_OR_NULL)?\s*\(/.test(l));
    if (nullCheck) facts.push({ reason: `adds a NULL/error-pointer check: ${nullCheck.slice(1).trim()}`, weight: 2, bugSignal: true });
  }

  const reviews = [...trailers.reviewedBy.map(() => 'Reviewed-by'), ...trailers.ackedBy.map(() => 'Acked-by'), ...trailers.testedBy.map(() => 'Tested-by')];
  if (reviews.length) facts.push({ reason: `review tags: ${[...new Set(reviews)].join(', ')}`, weight: 1, bugSignal: false });
  if (trailers.reportedBy.length) facts.push({ reason: 'Reported-by: a real user hit it', weight: 1, bugSignal: true });
  return facts;
}

/** "block/blk-mq-dma.c" -> "block"; "drivers/nvme/host/pci.c" -> "drivers/nvme"; "include/linux/x.h" -> "include/linux". */
export function subsystemOf(path: string): string {
  const parts = path.split('/');
  if (parts.length <= 1) return '.';
  if (['drivers', 'fs', 'net', 'sound', 'include', 'arch', 'tools'].includes(parts[0]) && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts[0];
}

export function sumScore(facts: ScoredFact[]): number {
  return facts.reduce((s, f) => s + f.weight, 0);
}
