/**
 * removed-declaration-in-use: upstream drops a local variable's declaration (or a label) because its version of
 * the function stopped using it; the target's function may still use it, and the backport would not compile
 * (`unsigned int h, th;` -> `unsigned int h;` while the target still assigns `th`). Checked on the target's
 * function as it will be after the patch.
 */
import type { HunkLine } from '../core/patch.ts';
import type { UpstreamSide } from './flow-checks.ts';
import { codeLines, codeOf, declaredInCode, enclosingFunctionStart, isDeclaredIn, labelOf, type CodeScan } from './c-syntax.ts';
import type { Refusal } from './types.ts';

type Where = Pick<Refusal, 'file' | 'hunk' | 'targetExcerpt'>;

/** an indented statement opening with a type and a name: `u64 mask = ...;`, `struct foo *a, *b;` */
const DECLARATION = /^\s+(?:(?:static|const|volatile|unsigned|signed|register)\s+)*(?:(?:struct|enum|union)\s+)?[A-Za-z_]\w*(?:\s+|\s*\*+\s*)(?:const\s+)?[A-Za-z_]\w*\s*(?:\[[^\]]*\]\s*)*[=,;]/;

/** Locals declared by whole declaration statements, and labels, among these lines of code. */
function localsDeclared(codes: string[]): Set<string> {
  const out = new Set<string>();
  for (const c of codes) {
    const label = labelOf(c);
    if (label) out.add(label);
    // a statement inside a body (indented, ends with `;`): not a parameter of a multi-line signature
    if (DECLARATION.test(c) && /;\s*$/.test(c)) for (const n of declaredInCode(c)) out.add(n);
  }
  return out;
}

/** [start, end) of the function body around `index` in `lines`, or null at file scope. */
function functionExtent(lines: string[], index: number): [number, number] | null {
  const start = enclosingFunctionStart(lines, index + 1);
  if (start < 0) return null;
  // scanned line by line: the function ends long before the file does
  const scan: CodeScan = { inComment: false };
  let depth = 0;
  let opened = false;
  for (let i = 0; start + i < lines.length; i++) {
    for (const ch of codeOf(lines[start + i], scan)) {
      if (ch === '{') {
        depth++;
        opened = true;
      } else if (ch === '}') depth--;
    }
    if (opened && depth <= 0) return index < start + i + 1 ? [start, start + i + 1] : null;
  }
  return null;
}

/** Does a line of code use `name`: a plain use, not a struct member of the same spelling (`p->th`, `s.th`) nor the
 * label's own definition line? (`c ? th : h` is a use.) */
function user(name: string): (code: string) => boolean {
  const re = new RegExp(`(?<![\\w.]|->)\\b${name}\\b`);
  return (code) => labelOf(code) !== name && re.test(code);
}

/**
 * Refuses when the hunk removes the declaration of a local (or a label) that the target's function, after the
 * patch, still uses and the added lines do not declare again.
 */
export function removedDeclarationInUse(lines: HunkLine[], newLines: string[], newStart: number, where: Where, upstream?: UpstreamSide): Refusal | null {
  const removed = localsDeclared(codeLines(lines.filter((l) => l.op === '-').map((l) => l.text)));
  if (!removed.size) return null;
  for (const n of localsDeclared(codeLines(lines.filter((l) => l.op === '+').map((l) => l.text)))) removed.delete(n);
  if (!removed.size) return null;
  // where the first removed line was, in the patched file: the hunk may open before the function's heading
  const firstRemoved = lines.findIndex((l) => l.op === '-');
  const at = newStart + lines.slice(0, firstRemoved).filter((l) => l.op !== '-').length;
  const extent = functionExtent(newLines, Math.min(at, newLines.length - 1));
  if (!extent) return null;
  const body = codeLines(newLines.slice(extent[0], extent[1]));
  for (const name of removed) {
    if (isDeclaredIn(body, name)) continue; // still declared elsewhere in the function (another block)
    if (body.some(user(name)) && !upstreamStillUses(upstream, name)) {
      return { check: 'removed-declaration-in-use', reason: `upstream removes the declaration of \`${name}\`, which the target's function still uses`, ...where };
    }
  }
  return null;
}

/**
 * Upstream's function, outside this hunk, used the name too: upstream compiles after the change, so a hunk not in
 * view removes those uses, and the target's uses are the same ones.
 */
function upstreamStillUses(up: UpstreamSide | undefined, name: string): boolean {
  if (!up) return false;
  const from = Math.max(0, up.hunk.oldStart - 1);
  const to = from + up.hunk.lines.filter((l) => l.op !== '+').length;
  const firstRemoved = up.hunk.lines.findIndex((l) => l.op === '-');
  const at = from + up.hunk.lines.slice(0, firstRemoved).filter((l) => l.op !== '+').length;
  const extent = functionExtent(up.lines, Math.min(at, up.lines.length - 1));
  if (!extent) return false;
  const outside = [...up.lines.slice(extent[0], from), ...up.lines.slice(to, extent[1])];
  return codeLines(outside).some(user(name));
}
