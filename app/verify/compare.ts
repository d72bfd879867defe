/**
 * Control (unpatched tree) vs patched tree, same test: what the pair of verdicts shows. Only "unpatched FAIL →
 * patched PASS" is a reproduction of the bug plus evidence the backport fixes it; "both PASS" shows the error path
 * was exercised and nothing more, and is never reported as proof.
 */
import type { SerialVerdict, Verdict } from './serial-verdict.ts';

export type Evidence =
  | 'reproduced-and-fixed'
  | 'exercised-no-difference'
  | 'still-failing'
  | 'regression'
  | 'patched-pass-only'
  | 'patched-fail'
  | 'inconclusive';

export interface Comparison {
  evidence: Evidence;
  /** strong = the run tells the unpatched kernel from the patched one in the expected direction */
  strong: boolean;
  /** does this outcome argue against merging? */
  blocking: boolean;
  summary: string;
}

type Run = Pick<SerialVerdict, 'verdict' | 'splats' | 'proofCount'>;

export function compareRuns(control: Run | null, patched: Run): Comparison {
  const p: Verdict = patched.verdict;
  if (p === 'INCONCLUSIVE' || control?.verdict === 'INCONCLUSIVE') {
    const which = p === 'INCONCLUSIVE' ? 'patched' : 'unpatched';
    return {
      evidence: 'inconclusive',
      strong: false,
      blocking: false,
      summary: `inconclusive: the ${which} run did not exercise the error path (not a test)`,
    };
  }
  if (!control) {
    return p === 'PASS'
      ? { evidence: 'patched-pass-only', strong: false, blocking: false, summary: 'patched kernel PASS with the error path exercised; no unpatched control run' }
      : { evidence: 'patched-fail', strong: false, blocking: true, summary: 'patched kernel FAIL (no unpatched control run to compare)' };
  }
  const c = control.verdict;
  if (c === 'FAIL' && p === 'PASS') {
    return {
      evidence: 'reproduced-and-fixed',
      strong: true,
      blocking: false,
      summary: 'unpatched FAIL → patched PASS: the bug was reproduced on the unpatched kernel and the backport fixes it',
    };
  }
  if (c === 'PASS' && p === 'PASS') {
    return {
      evidence: 'exercised-no-difference',
      strong: false,
      blocking: false,
      summary: 'both PASS: error path exercised, no difference observed (the test does not reproduce the bug)',
    };
  }
  if (c === 'PASS' && p === 'FAIL') {
    return { evidence: 'regression', strong: true, blocking: true, summary: 'unpatched PASS → patched FAIL: the backport breaks this error path' };
  }
  const same = sameSplats(control.splats, patched.splats);
  return {
    evidence: 'still-failing',
    strong: false,
    blocking: true,
    summary: `both FAIL: the backport does not fix what this test sees${same ? ' (same splats)' : ' (different splats)'}`,
  };
}

/** Splats compared without timestamps, CPU/PID numbers and addresses, which differ from run to run. */
function sameSplats(a: string[], b: string[]): boolean {
  const norm = (s: string) =>
    s
      .replace(/^\[\s*\d+\.\d+\]\s*/, '')
      .replace(/CPU: \d+ PID: \d+/g, '')
      .replace(/0x[0-9a-f]+/gi, '');
  const A = new Set(a.map(norm));
  const B = new Set(b.map(norm));
  return A.size === B.size && [...A].every((x) => B.has(x));
}
