import type { Adaptation } from '../core/backport.ts';
import type { FilePatch, Hunk, HunkLine } from '../core/patch.ts';
import type { TreeView } from '../core/tree.ts';
import type { FileText } from './text.ts';

export type PortMethod = 'exact' | 'relocation' | 'rules';

/** Why the engine would not produce a backport; `check` names the mechanism that fired. */
export interface Refusal {
  check: string;
  reason: string;
  file?: string;
  /** 1-based hunk number within its file in upstream's diff */
  hunk?: number;
  /** the target's lines around where the hunk belongs, when known */
  targetExcerpt?: string[];
}

export interface PortResult {
  outcome: 'clean' | 'adapted' | 'refused';
  /** new full contents of every touched file (null = deleted); empty when refused */
  files: { path: string; content: string | null }[];
  /** the diff actually applied to the target (paths on the target, target line numbers) */
  applied: FilePatch[];
  adaptations: Adaptation[];
  method: PortMethod | null;
  refusal?: Refusal;
}

/** One upstream hunk placed on a target file: where, and the lines to apply there. */
export interface Placement {
  /** path on the target */
  path: string;
  /** 0-based index of the first pre-image line in the target file */
  start: number;
  /** context and removed lines carry the target's text; added lines are upstream's, possibly adapted */
  lines: HunkLine[];
  method: PortMethod;
  adaptations: Adaptation[];
  section: string;
}

/** What rules and checks see about one upstream hunk. */
export interface HunkContext {
  tree: TreeView;
  /** upstream path of the file */
  upstreamPath: string;
  /** path on the target where the hunk is being placed */
  path: string;
  text: FileText;
  hunk: Hunk;
  /** 1-based, within the file */
  hunkNo: number;
  /** upstream's tree before the change, when known (rules that compare upstream's file with the target's) */
  upstreamTree?: TreeView;
  /** names the patch's added lines declare, in any file (a rule must not rewrite what the patch itself brings) */
  patchDeclared?: Set<string>;
}

export class RefusedError extends Error {
  constructor(readonly refusal: Refusal) {
    super(`${refusal.check}: ${refusal.reason}`);
    this.name = 'RefusedError';
  }
}
