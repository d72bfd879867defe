/**
 * Proposes what an error-path test should break, from the fix's diff alone:
 *  - the callee whose error return the changed lines handle (`error = dma_iova_link(...); if (error) goto out;`
 *    → dma_iova_link), with a return value fitting the check (`if (err)` → -ENOMEM, `if (!p)` → NULL, …);
 *  - an argument filter when that callee runs in a loop with a running offset (`mapped += len` passed as an
 *    argument): failing only a later iteration leaves a partial result, the usual shape of cleanup bugs;
 *  - the proof probe: the function the changed hunk is in (from the hunk's lines or its @@ section).
 * Pure; every proposal can be overridden by `verify.qemu` in the configuration.
 */
import type { FilePatch, Hunk, HunkLine } from '../core/patch.ts';
import { filePath } from '../core/patch.ts';
import type { InjectSpec } from './config.ts';

export interface InjectProposal {
  inject: InjectSpec;
  /** where the error check is: file and the function the hunk is in */
  file: string;
  inFunction: string | null;
  /** the changed line(s) that handle the error, for the report */
  evidence: string;
}

export interface InjectTargets {
  proposals: InjectProposal[];
  /** functions changed by the fix, in diff order: the first is the proof probe */
  proofProbes: string[];
}

const ENOMEM = -12;
/** DMA_MAPPING_ERROR is ~0: as a signed long that is -1 */
const DMA_MAPPING_ERROR = -1;

/** Words that look like calls but are not the function that failed. */
const NOT_CALLEES = new Set([
  'if', 'while', 'for', 'switch', 'return', 'sizeof', 'likely', 'unlikely', 'WARN_ON', 'WARN_ON_ONCE', 'BUG_ON',
  'IS_ERR', 'IS_ERR_OR_NULL', 'PTR_ERR', 'ERR_PTR', 'ERR_CAST', 'PTR_ERR_OR_ZERO', 'READ_ONCE', 'WRITE_ONCE',
  'errno_to_blk_status', 'min', 'max', 'min_t', 'max_t', 'dma_mapping_error', 'pr_err', 'pr_warn', 'dev_err',
  'dev_warn', 'printk', 'kfree', 'put_device',
]);

/** Checks whose argument is the value to trace back: `if (IS_ERR(p))`, `if (dma_mapping_error(dev, addr))`. */
const CHECKERS: Record<string, 'err-ptr' | 'dma'> = {
  IS_ERR: 'err-ptr',
  IS_ERR_OR_NULL: 'err-ptr',
  dma_mapping_error: 'dma',
};

interface Line extends HunkLine {
  changed: boolean;
}

function hunkLines(h: Hunk): Line[] {
  return h.lines.map((l) => ({ ...l, changed: l.op !== ' ' }));
}

/** `static bool foo(struct x *a,` at column 0 → foo */
export function functionDefinedBy(line: string): string | null {
  if (!/^[A-Za-z_]/.test(line) || /;\s*$/.test(line) || /^(typedef|struct\s+\w+\s*\{|#)/.test(line)) return null;
  const m = /\b([A-Za-z_]\w*)\s*\(/.exec(line);
  if (!m || NOT_CALLEES.has(m[1])) return null;
  // a definition has its type before the name (`int foo(`), a macro call at column 0 (`EXPORT_SYMBOL(foo);`) not
  return line.slice(0, m.index).trim() ? m[1] : null;
}

function sectionFunction(section: string): string | null {
  return section ? functionDefinedBy(section) : null;
}

/** The function a hunk line belongs to: the last definition above it in the hunk, else the @@ section. */
function enclosingFunction(h: Hunk, lines: Line[], idx: number): string | null {
  for (let i = idx; i >= 0; i--) {
    if (lines[i].op === '-' && i !== idx) continue;
    const f = functionDefinedBy(lines[i].text);
    if (f) return f;
  }
  return sectionFunction(h.section);
}

/** What an `if (...)` tests: the variable and how (`err`, `!p`, `IS_ERR(p)`, `ret < 0`, `dma_mapping_error(d, a)`). */
function testedValue(text: string): { name: string; kind: 'int' | 'null' | 'err-ptr' | 'dma' } | { call: string } | null {
  const cond = /\b(?:if|while)\s*\((.*)\)/.exec(text)?.[1] ?? /^\s*(?:if|while)\s*\((.*)$/.exec(text)?.[1];
  if (!cond) return null;
  const c = cond.replace(/\b(unlikely|likely)\s*\(/g, '(').trim();
  const checker = /\b(IS_ERR_OR_NULL|IS_ERR|dma_mapping_error)\s*\(([^)]*)\)/.exec(c);
  if (checker) {
    const args = checker[2].split(',').map((a) => a.trim());
    const name = args[args.length - 1].replace(/^[&*]/, '');
    return /^\w+$/.test(name) ? { name, kind: CHECKERS[checker[1]] } : null;
  }
  const neg = /^\(*\s*!\s*([A-Za-z_]\w*)\s*\)*$/.exec(c);
  if (neg) return { name: neg[1], kind: 'null' };
  const plain = /^\(*\s*([A-Za-z_]\w*)\s*(?:(?:<|!=)\s*0\s*)?\)*$/.exec(c);
  if (plain) return { name: plain[1], kind: 'int' };
  const direct = /^\(*\s*!?\s*([A-Za-z_]\w*)\s*\(/.exec(c);
  if (direct && !NOT_CALLEES.has(direct[1])) return { call: direct[1] };
  return null;
}

/** The call text starting at `lines[idx]`, joined until its parentheses balance (calls span lines). */
function callText(lines: Line[], idx: number, callee: string): string {
  let text = '';
  for (let i = idx; i < lines.length && i < idx + 8; i++) {
    if (lines[i].op === '-' && i !== idx) continue;
    text += ' ' + lines[i].text.trim();
    const start = text.indexOf(callee + '(') >= 0 ? text.indexOf(callee + '(') : text.indexOf(callee);
    const open = text.indexOf('(', start);
    if (open < 0) continue;
    let depth = 0;
    for (let j = open; j < text.length; j++) {
      if (text[j] === '(') depth++;
      else if (text[j] === ')' && --depth === 0) return text.slice(open + 1, j);
    }
  }
  return '';
}

function splitArgs(inner: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of inner) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) args.push(cur.trim());
  return args;
}

/**
 * 1-based position of an argument that advances AFTER the call (`mapped += len`, `off++`): the call sits in a loop
 * and later iterations see a non-zero offset, so failing only those leaves a partial result behind.
 */
function runningOffsetArg(lines: Line[], callAt: number, args: string[]): number | null {
  for (let i = 0; i < args.length && i < 6; i++) {
    const a = args[i];
    if (!/^[A-Za-z_]\w*$/.test(a)) continue;
    const re = new RegExp(`\\b${a}\\s*(\\+=|\\+\\+)|\\+\\+\\s*${a}\\b`);
    if (lines.slice(callAt + 1).some((l) => l.op !== '-' && re.test(l.text))) return i + 1;
  }
  return null;
}

function retvalFor(kind: 'int' | 'null' | 'err-ptr' | 'dma'): number {
  if (kind === 'null') return 0;
  if (kind === 'dma') return DMA_MAPPING_ERROR;
  return ENOMEM; // int errors and ERR_PTR(-ENOMEM) share the same bits
}

/** Find `name = callee(` above `idx` in the hunk (the nearest one). */
function assignmentAbove(lines: Line[], idx: number, name: string): { callee: string; at: number } | null {
  const re = new RegExp(`\\b${name}\\s*=\\s*(?:\\([^)]*\\)\\s*)?([A-Za-z_]\\w*)\\s*\\(`);
  for (let i = idx; i >= 0 && i >= idx - 40; i--) {
    const m = re.exec(lines[i].text);
    if (m && !NOT_CALLEES.has(m[1])) return { callee: m[1], at: i };
  }
  return null;
}

/** Changed lines and the error check each belongs to (the `if` on the line, or up to 3 lines above). */
function errorChecksNear(lines: Line[], idx: number): number | null {
  for (let i = idx; i >= 0 && i >= idx - 3; i--) {
    if (lines[i].op === '-' && i !== idx) continue;
    if (testedValue(lines[i].text)) return i;
    if (i !== idx && /[;{}]\s*$/.test(lines[i].text) && !/^\s*\}?\s*else/.test(lines[i].text)) break;
  }
  return null;
}

export function proposeInjectTargets(files: FilePatch[]): InjectTargets {
  const proposals: InjectProposal[] = [];
  const proofProbes: string[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const file = filePath(f);
    if (!/\.c$/.test(file) || f.binary) continue;
    for (const h of f.hunks) {
      const lines = hunkLines(h);
      lines.forEach((l, idx) => {
        if (!l.changed) return;
        const fn = enclosingFunction(h, lines, idx);
        if (fn && !proofProbes.includes(fn)) proofProbes.push(fn);
        const checkAt = errorChecksNear(lines, idx);
        if (checkAt === null) return;
        const tested = testedValue(lines[checkAt].text);
        if (!tested) return;
        let callee: string;
        let kind: 'int' | 'null' | 'err-ptr' | 'dma';
        let callAt: number;
        if ('call' in tested) {
          callee = tested.call;
          kind = 'int';
          callAt = checkAt;
        } else {
          const a = assignmentAbove(lines, checkAt, tested.name);
          if (!a) return;
          ({ callee, at: callAt } = a);
          kind = tested.kind;
        }
        if (seen.has(callee) || callee === fn) return;
        seen.add(callee);
        const args = splitArgs(callText(lines, callAt, callee));
        const offsetArg = kind === 'int' ? runningOffsetArg(lines, callAt, args) : null;
        const inject: InjectSpec = {
          function: callee,
          retval: retvalFor(kind),
          interval: 2,
          skip: 0,
          times: 100,
          ...(offsetArg !== null && { filter: { arg: offsetArg, min: 1 } }),
        };
        proposals.push({ inject, file, inFunction: fn, evidence: lines[idx].op + lines[idx].text.trim() });
      });
    }
  }
  return { proposals, proofProbes };
}

/**
 * Callers of `fn` inside one source file, nearest first (a static function is often inlined into its caller:
 * then the caller is the probe that still sees the call). Depth-limited.
 */
export function callersInFile(source: string, fn: string, depth = 2): string[] {
  const callersOf = (target: string): string[] => {
    const out: string[] = [];
    let current: string | null = null;
    const call = new RegExp(`\\b${target}\\s*\\(`);
    for (const line of source.split('\n')) {
      const def = functionDefinedBy(line);
      if (def) current = def;
      else if (current && current !== target && call.test(line) && !out.includes(current)) out.push(current);
    }
    return out;
  };
  const result: string[] = [];
  let frontier = [fn];
  for (let d = 0; d < depth; d++) {
    const next: string[] = [];
    for (const t of frontier) for (const c of callersOf(t)) if (c !== fn && !result.includes(c)) (result.push(c), next.push(c));
    frontier = next;
  }
  return result;
}
