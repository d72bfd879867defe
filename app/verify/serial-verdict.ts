/**
 * Reads the serial console log of one error-path run and decides PASS / FAIL / INCONCLUSIVE. Pure: text in,
 * verdict out, so every rule is unit-tested on written log snippets.
 *
 * The guest (app/verify/kernel/init.sh.in) prints its results through /dev/kmsg, one kernel line each:
 *   STABLEBOT-BEGIN kernel=<release>
 *   STABLEBOT-VERDICT: scenario=<label> data=OK|MISMATCH injected=N hits=N proof=N|na proof_ret0=N proof_retnz=N noop=N
 *   STABLEBOT-ERROR: <text>                 (the injector could not be armed, a tool failed…)
 *   STABLEBOT-END
 * and then powers off ("reboot: Power down").
 */

export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

export interface ScenarioResult {
  label: string;
  dataOk: boolean;
  injected: number;
  hits: number;
  /** calls of the proof function during which an injection happened; null when no proof probe was armed */
  proof: number | null;
  /** of those, how many returned 0 / non-zero (e.g. a bool "success" after a failed link = non-zero) */
  proofRet0: number | null;
  proofRetNonZero: number | null;
  noop: number;
  /** the symbol the proof kretprobe was armed on (the changed function, or a caller when it was inlined) */
  proofProbe: string | null;
}

export interface SerialVerdict {
  verdict: Verdict;
  /** why: one short sentence per rule that fired */
  reasons: string[];
  /** the offending kernel lines, quoted (deduplicated, at most MAX_SPLATS) */
  splats: string[];
  /** how many splat lines in total (before deduplication) */
  splatCount: number;
  dataOk: boolean | null;
  injected: number | null;
  proofCount: number | null;
  scenarios: ScenarioResult[];
  errors: string[];
  reachedEnd: boolean;
  poweredOff: boolean;
}

export interface ScanOptions {
  /** the host killed QEMU at its time limit */
  timedOut?: boolean;
}

const MAX_SPLATS = 20;

/**
 * Kernel lines that mean something went wrong. Kept narrow on purpose: "DMAR: DRHD base" is a boot line,
 * "DMAR: DRHD: handling fault" is a fault.
 */
const SPLAT_PATTERNS: RegExp[] = [
  /\bBUG: /,
  /kernel BUG at/,
  /\bOops\b/,
  /\bWARNING: /,
  /general protection fault/,
  /Unable to handle kernel/,
  /Kernel panic/,
  /\bKASAN: /,
  /\bUBSAN: /,
  /DMAR: DRHD: handling fault/,
  /DMAR: \[DMA (Read|Write)/,
  /DMA PTE for vPFN/,
  /DMA-API: \S+ [0-9a-f]{4}:[0-9a-f]{2}:/,
  /INFO: task .* blocked for more than/,
  /rcu: INFO: /,
  /self-detected stall/,
  /soft lockup/,
  /hard LOCKUP/,
  /list_(add|del) corruption/,
  /refcount_t: /,
  /possible circular locking/,
  /inconsistent lock state/,
  /sleeping function called from invalid context/,
  /double fault/,
  /stack-protector/,
  /vtd_\w+: detected .* error/,
];

/** Lines that look alarming but are not failures (debug facilities announcing themselves). */
const BENIGN_PATTERNS: RegExp[] = [/DMA-API: debugging enabled/, /DMA-API: preallocated/, /FAULT_INJECTION: forcing a failure/];

const VERDICT_RE = /STABLEBOT-VERDICT: (.*)$/;
const ERROR_RE = /STABLEBOT-ERROR: (.*)$/;
const PROOF_RE = /STABLEBOT-PROOF: scenario=(\S+) probe=(\S+)/;

export function cleanLine(line: string): string {
  // serial consoles carry terminal escapes and CRs; a quoted splat should read as plain text
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').trimEnd();
}

function isSplat(line: string): boolean {
  if (line.includes('STABLEBOT-')) return false;
  if (BENIGN_PATTERNS.some((re) => re.test(line))) return false;
  return SPLAT_PATTERNS.some((re) => re.test(line));
}

function parseFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const m of text.matchAll(/(\w+)=(\S+)/g)) fields.set(m[1], m[2]);
  return fields;
}

function intField(fields: Map<string, string>, key: string): number | null {
  const v = fields.get(key);
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
}

function parseScenario(text: string): ScenarioResult | null {
  const f = parseFields(text);
  const label = f.get('scenario');
  const injected = intField(f, 'injected');
  if (!label || injected === null || !f.has('data')) return null;
  const proof = intField(f, 'proof');
  return {
    label,
    dataOk: f.get('data') === 'OK',
    injected,
    hits: intField(f, 'hits') ?? 0,
    proof,
    proofRet0: proof === null ? null : intField(f, 'proof_ret0'),
    proofRetNonZero: proof === null ? null : intField(f, 'proof_retnz'),
    noop: intField(f, 'noop') ?? 0,
    proofProbe: null,
  };
}

export function scanSerialLog(log: string, opts: ScanOptions = {}): SerialVerdict {
  const splatLines: string[] = [];
  const scenarios: ScenarioResult[] = [];
  const errors: string[] = [];
  let reachedEnd = false;
  let poweredOff = false;
  const probes = new Map<string, string>();
  for (const raw of log.split('\n')) {
    const line = cleanLine(raw);
    if (isSplat(line)) splatLines.push(line.trim());
    const v = VERDICT_RE.exec(line);
    if (v) {
      const s = parseScenario(v[1]);
      if (s) scenarios.push(s);
      else errors.push(`unreadable verdict line: ${v[1]}`);
    }
    const p = PROOF_RE.exec(line);
    if (p) probes.set(p[1], p[2]);
    const e = ERROR_RE.exec(line);
    if (e) errors.push(e[1]);
    if (line.includes('STABLEBOT-END')) reachedEnd = true;
    if (/reboot: Power down/.test(line)) poweredOff = true;
  }

  for (const s of scenarios) s.proofProbe = probes.get(s.label) ?? null;
  // the same splat repeats with new timestamps: quote it once (its first occurrence)
  const byText = new Map<string, string>();
  for (const l of splatLines) {
    const key = l.replace(/^\[\s*\d+\.\d+\]\s*/, '');
    if (!byText.has(key)) byText.set(key, l);
  }
  const splats = [...byText.values()].slice(0, MAX_SPLATS);
  const dataOk = scenarios.length ? scenarios.every((s) => s.dataOk) : null;
  const injected = scenarios.length ? scenarios.reduce((n, s) => n + s.injected, 0) : null;
  const withProof = scenarios.filter((s) => s.proof !== null);
  const proofCount = withProof.length ? withProof.reduce((n, s) => n + (s.proof ?? 0), 0) : null;

  const fail: string[] = [];
  if (opts.timedOut) fail.push('hang/timeout: the VM did not finish within its time limit');
  if (splatLines.length) fail.push(`${splatLines.length} kernel splat line(s)`);
  for (const s of scenarios) if (!s.dataOk) fail.push(`data mismatch in scenario ${s.label}`);
  if (!reachedEnd) fail.push('the test did not reach its end');
  if (!poweredOff) fail.push('the VM did not power off');

  const inconclusive: string[] = [];
  if (!scenarios.length) inconclusive.push('no scenario reported a result');
  for (const s of scenarios) {
    if (s.injected === 0) inconclusive.push(`scenario ${s.label}: nothing was injected (not a test)`);
    if (s.proof === 0) inconclusive.push(`scenario ${s.label}: the changed function never ran with an injected error (not a test)`);
  }
  for (const e of errors) inconclusive.push(`guest error: ${e}`);

  let verdict: Verdict;
  let reasons: string[];
  if (fail.length) {
    verdict = 'FAIL';
    reasons = fail;
  } else if (inconclusive.length) {
    verdict = 'INCONCLUSIVE';
    reasons = inconclusive;
  } else {
    verdict = 'PASS';
    reasons = [`${injected} error(s) injected, data intact, no splat, clean power-off`];
  }
  return { verdict, reasons, splats, splatCount: splatLines.length, dataOk, injected, proofCount, scenarios, errors, reachedEnd, poweredOff };
}

/** A short excerpt for a check run: marker lines, the quoted splats and the last lines before the end. */
export function logExcerpt(log: string, maxLines = 40): string {
  const lines = log.split('\n').map(cleanLine);
  const keep = lines.filter((l) => l.includes('STABLEBOT-') || isSplat(l) || /kpinj: /.test(l));
  const tail = lines.filter((l) => l.trim()).slice(-8);
  const out = [...new Set([...keep.slice(0, maxLines - tail.length), ...tail])];
  return out.join('\n');
}
