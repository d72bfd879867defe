/**
 * Where do the blank context lines a mail dropped go? When one sat between a run of added lines and the next old
 * line, the mail no longer says whether it came before, inside or after the run, and each choice gives another
 * file. The choices are enumerated and judged by the kernel's coding style (checkpatch's blank-line rules); a
 * tie means the caller must refuse.
 */
import type { Hunk } from '../core/patch.ts';
import type { Placement } from './align.ts';

/** hunk line index → the hunk line index the dropped blank group is emitted before */
export type BlankLayout = Map<number, number>;

/** Every layout of the dropped blank groups of `p`; null when there are more than `cap`. */
export function blankLayouts(h: Hunk, p: Placement, cap = 256): BlankLayout[] | null {
  const options: { key: number; targets: number[] }[] = [];
  for (const idx of p.dropped.keys()) {
    // the run of added lines right before idx, back to the previous old line
    let runStart = idx;
    while (runStart > 0 && h.lines[runStart - 1].op === '+') runStart--;
    const targets: number[] = [];
    for (let t = runStart; t <= idx; t++) targets.push(t);
    options.push({ key: idx, targets });
  }
  let layouts: BlankLayout[] = [new Map()];
  for (const o of options) {
    const next: BlankLayout[] = [];
    for (const layout of layouts) {
      for (const t of o.targets) next.push(new Map(layout).set(o.key, t));
      if (next.length > cap) return null;
    }
    layouts = next;
  }
  return layouts;
}

const NOT_TYPES = /^(return|goto|break|continue|case|else|do|sizeof|typeof|if|while|for|switch)\b/;
const DECLARATION =
  /^\s+(?:(?:const|static|unsigned|signed|struct|enum|union|volatile|register)\s+)*[A-Za-z_]\w*(?:\s+|\s*\*+\s*)\**[A-Za-z_]\w*(?:\[[^\]]*\])?(?:\s*=\s*.*)?;\s*$/;

function isDeclaration(line: string): boolean {
  return DECLARATION.test(line) && !NOT_TYPES.test(line.trim());
}

const blank = (l: string | undefined) => l !== undefined && l.trim() === '';

const BRACELESS_CONTROL = /^(\}\s*)?(else\s+)?(if|for|while|switch)\b.*\)$|^(\}\s*)?else$/;
const UNFINISHED = /(,|\(|&&|\|\||[+\-*/?:=|&])$/;

/** "err = f();" followed by "if (err)": kernel code keeps a call and the check of its result together */
function splitsCallFromCheck(before: string, after: string): boolean {
  const lhs = /^\s*([A-Za-z_]\w*)\s*=[^=]/.exec(before)?.[1];
  return Boolean(lhs) && /^\s*if\s*\(/.test(after) && new RegExp(`\\b${lhs}\\b`).test(after);
}

/**
 * Blank-line faults in the kernel's coding style (checkpatch and common practice): doubled blanks, blanks after
 * `{` or before `}`, `{` or `else`, inside an unfinished statement, between a brace-less `if` and its body,
 * between a call and the check of its result, and no blank after declarations.
 */
export function blankLineFaults(lines: string[]): number {
  let faults = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const next = lines[i + 1];
    if (blank(line)) {
      const prev = i > 0 ? lines[i - 1].trim() : undefined;
      const after = next?.trim();
      if (blank(next)) faults++;
      if (prev !== undefined && (/\{$/.test(prev) || BRACELESS_CONTROL.test(prev) || UNFINISHED.test(prev))) faults++;
      if (after !== undefined && /^(\}|\{$|else\b)/.test(after)) faults++;
      if (prev !== undefined && after !== undefined && splitsCallFromCheck(prev, after)) faults++;
      continue;
    }
    if (isDeclaration(line) && next !== undefined && !blank(next) && !isDeclaration(next) && !/^\s*[}#]/.test(next)) faults++;
  }
  return faults;
}
