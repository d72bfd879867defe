/**
 * The shape of rules/*.yml. A rule is data: which engine type runs it, the precondition it checks on the target
 * tree, the transform it makes, and the note it leaves in the commit message. A new rule of an existing type is
 * a new yml file; only a new type needs code (a handler in app/rules/).
 */
import { z } from 'zod';
import { parseTemplate } from './call-template.ts';

const ruleName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'rule names are kebab-case');
const identifier = z.string().regex(/^[A-Za-z_]\w*$/, 'a C identifier');
const tokenClass = z.enum(['identifier', 'number', 'any']);

const base = {
  name: ruleName,
  description: z.string().min(1),
  /** commit-message sentence; {placeholders} are filled from the adaptation's params, unknown ones are left for the caller */
  note: z.string().min(1),
  /** false keeps a rule documented and testable but out of the default set (e.g. measured to do more harm than good) */
  enabled: z.boolean().default(true),
};

export const contextSubstitutionRule = z.object({
  ...base,
  type: z.literal('context-substitution'),
  precondition: z.object({
    /** class of upstream's token in the hunk's context/removed lines */
    from: tokenClass,
    /** class of the token the target has in its place */
    to: tokenClass,
    /** refuse when upstream's identifier is declared in the target's enclosing function (a real variable there) */
    notDeclaredInTargetFunction: z.boolean().default(true),
    /** lines of the anchor that must match without substitution (keeps the match anchored in real context) */
    minUnchangedLines: z.number().int().min(0).default(1),
  }),
  transform: z.object({ applyTo: z.literal('added-lines') }),
});

export const symbolHistoryRule = z.object({
  ...base,
  type: z.literal('symbol-history'),
  precondition: z.object({
    /** the new name occurs nowhere in the target tree and the old name does */
    treeLacksNewHasOld: z.literal(true),
  }),
  transform: z.object({ applyTo: z.literal('added-lines') }),
  symbols: z
    .array(
      z.object({
        new: identifier,
        old: identifier,
        /** the mainline release that introduced the new name (absent when not verified: the note then names none) */
        introducedIn: z.string().regex(/^v\d+\.\d+$/).optional(),
        /** where the rename was verified */
        source: z.string().min(1),
      }),
    )
    .min(1),
});

export const fileMovedRule = z.object({
  ...base,
  type: z.literal('file-moved'),
  precondition: z.object({
    fileMissingOnTarget: z.literal(true),
    /** the whole anchor must match in exactly one other file */
    anchorUnique: z.literal(true),
    /** how many distinctive words of the anchor to search the tree for */
    searchWords: z.number().int().min(1).max(10).default(3),
    /** skip words found in more files than this (too common to locate anything) */
    maxFilesPerWord: z.number().int().min(1).default(200),
  }),
  transform: z.object({ retarget: z.literal('path') }),
});

export const absentCodeRule = z.object({
  ...base,
  type: z.literal('absent-code'),
  precondition: z.object({
    /** none of the hunk's non-trivial removed lines (context lines for pure additions) exist in the target file */
    linesAbsent: z.literal(true),
    /** lines shorter than this (after whitespace normalization) are trivial: braces, `return 0;` */
    minLineLength: z.number().int().min(1).default(10),
  }),
  transform: z.object({ refuse: z.literal(true) }),
});

export const contextDriftRule = z.object({
  ...base,
  type: z.literal('context-drift'),
  precondition: z.object({
    /** lines (context on the kept side + removed lines) that must match, whitespace-insensitively, at one place */
    minAnchorLines: z.number().int().min(2).default(3),
    minSubstantialAnchorLines: z.number().int().min(1).default(2),
    /** share of the other side's substantial lines that must still be found next to the change */
    otherSidePresent: z.number().min(0).max(1).default(0.5),
    /** how many extra target lines to look through for them */
    slack: z.number().int().min(0).default(3),
  }),
  transform: z.object({ dropDifferingContext: z.literal(true) }),
});

export const alignedContextRule = z.object({
  ...base,
  type: z.literal('aligned-context'),
  precondition: z.object({
    /** share of the pre-image lines (context + removed) that must have their counterpart on the target */
    minMatchedShare: z.number().min(0).max(1).default(0.5),
    /** matched lines with an identifier and more than punctuation */
    minSubstantialMatched: z.number().int().min(1).default(3),
    /** target lines upstream lacks that may sit between two matched lines */
    maxExtraTargetLines: z.number().int().min(0).default(3),
    /** target lines beyond the pre-image's length searched on each side of a candidate place */
    slack: z.number().int().min(0).default(4),
    /** a place aligning within this score of the best one makes the choice a guess (unless the @@ section decides) */
    ambiguityMargin: z.number().min(0).default(0.5),
    /** drift right next to a change must be data (file scope, local declarations, comments), never a statement */
    onlyDataDriftNextToChange: z.boolean().default(true),
    /** refuse a place whose enclosing function is not the one the hunk's @@ section names */
    sameSection: z.boolean().default(true),
    /**
     * a pre-image line that differs from a target line only by renames proven by aligning upstream's file with the
     * target's (app/rules/align.ts, at least this many aligned lines each) matches it; absent = no renames
     */
    renameMinEvidence: z.number().int().min(1).optional(),
  }),
  transform: z.object({ dropDriftedContext: z.literal(true) }),
  /** the sentence for each rename used, with the params of aligned-rename's note ({from}, {to}, {evidence}, {file}) */
  renameNote: z.string().min(1).optional(),
});

export const reducedContextRule = z.object({
  ...base,
  type: z.literal('reduced-context'),
  precondition: z.object({
    /** outermost context lines that may be left unmatched on each side */
    maxDropPerSide: z.number().int().min(1).max(3).default(2),
    /** context lines a side that had context must keep */
    minKeptPerSide: z.number().int().min(0).default(1),
    /** substantial lines (an identifier, more than punctuation) the remaining anchor must have */
    minSubstantialAnchorLines: z.number().int().min(1).default(2),
    /** refuse a place whose enclosing function is not the one the hunk's @@ section names */
    sameSection: z.boolean().default(true),
  }),
  transform: z.object({ dropOuterContext: z.literal(true) }),
});

export const reindentRule = z.object({
  ...base,
  type: z.literal('reindent'),
  precondition: z.object({
    /** every non-blank context/removed line shows the same tab shift between upstream and the target */
    consistentShift: z.literal(true),
    /** non-blank context/removed lines the shift must be seen on */
    minAnchorLines: z.number().int().min(1).default(2),
  }),
  transform: z.object({ applyTo: z.literal('added-lines') }),
});

export const alignedRenameRule = z.object({
  ...base,
  type: z.literal('aligned-rename'),
  precondition: z.object({
    /** the added lines use a name neither the target file nor any header of the target has */
    targetLacksName: z.literal(true),
    /** aligned lines of upstream's file (before the change) and the target's that must show the same rename */
    minEvidence: z.number().int().min(1).default(2),
  }),
  transform: z.object({ applyTo: z.literal('added-lines') }),
});

export const renamedContextRule = z.object({
  ...base,
  type: z.literal('renamed-context'),
  precondition: z.object({
    /** aligned lines of upstream's file and the target's that must show each rename the context differs by */
    minEvidence: z.number().int().min(1).default(2),
    /** substantial context/removed lines that must match without any rename */
    minUnchangedLines: z.number().int().min(0).default(1),
  }),
  transform: z.object({ applyTo: z.literal('added-lines') }),
});

export const removedDefinitionRule = z.object({
  ...base,
  type: z.literal('removed-definition'),
  precondition: z.object({
    /** upstream context lines each side must have, all matching around the target's definition */
    minContextPerSide: z.number().int().min(1).default(2),
    /** share of the lines of upstream's body (non-blank, not the braces) found in the target's body */
    minSharedShare: z.number().min(0).max(1).default(0.5),
  }),
  transform: z.object({ removeTargetDefinition: z.literal(true) }),
});

export const driftedRemovalRule = z.object({
  ...base,
  type: z.literal('drifted-removal'),
  precondition: z.object({
    /** upstream context lines each side must have, all matching around the target's run */
    minContextPerSide: z.number().int().min(1).default(3),
    /** share of upstream's removed (non-blank) lines found as they are in the target's run */
    minSharedShare: z.number().min(0).max(1).default(0.5),
    /** token similarity a target line that differs must have with one of upstream's removed lines */
    minLineSimilarity: z.number().min(0).max(1).default(0.5),
  }),
  transform: z.object({ removeTargetLines: z.literal(true) }),
});

const headerPath = z.string().regex(/^[\w.+-]+(?:\/[\w.+-]+)*\.h$/, 'a header path like linux/unaligned.h');
const release = z.string().regex(/^v\d+\.\d+$/);
const callForm = z.object({ from: z.string().min(1), to: z.string() }).superRefine((f, c) => {
  try {
    parseTemplate(f.from, f.to);
  } catch (e) {
    c.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

export const apiRewriteRule = z.object({
  ...base,
  type: z.literal('api-rewrite'),
  precondition: z.object({
    /** the new name occurs nowhere in the target (file or headers) and every name its replacement needs does */
    treeLacksNewHasRequired: z.literal(true),
  }),
  transform: z.object({ applyTo: z.literal('added-lines') }),
  calls: z
    .array(
      z
        .object({
          new: identifier,
          /** names the replacement uses that the target must have */
          requires: z.array(identifier).default([]),
          /**
           * the API is not new but takes fewer arguments than it used to: rewrite only where the headers the file
           * includes declare it with exactly this many (and the new name-absence test does not apply)
           */
          targetArity: z.number().int().min(0).optional(),
          /** absent when not verified: the note then names none */
          introducedIn: release.optional(),
          source: z.string().min(1),
          /** tried in order; the first whose argument count and prefixes fit the call is used */
          forms: z.array(callForm).min(1),
        })
        .refine((c) => c.forms.every((f) => parseTemplate(f.from, f.to).name === c.new), { message: 'every form must call the entry\'s `new` name' }),
    )
    .default([]),
  headers: z.array(z.object({ new: headerPath, old: headerPath, introducedIn: release, source: z.string().min(1) })).default([]),
});

export const ruleSchema = z.discriminatedUnion('type', [apiRewriteRule, removedDefinitionRule, driftedRemovalRule, contextSubstitutionRule, contextDriftRule, reducedContextRule, symbolHistoryRule, fileMovedRule, absentCodeRule, reindentRule, alignedRenameRule, renamedContextRule, alignedContextRule]);

/** A yml file holds one rule, or `rules:` with several. */
export const ruleFileSchema = z.union([ruleSchema, z.object({ rules: z.array(ruleSchema).min(1) })]);

export type Rule = z.infer<typeof ruleSchema>;
export type RuleType = Rule['type'];
export type ContextSubstitutionRule = z.infer<typeof contextSubstitutionRule>;
export type SymbolHistoryRule = z.infer<typeof symbolHistoryRule>;
export type FileMovedRule = z.infer<typeof fileMovedRule>;
export type ContextDriftRule = z.infer<typeof contextDriftRule>;
export type ReducedContextRule = z.infer<typeof reducedContextRule>;
export type AlignedContextRule = z.infer<typeof alignedContextRule>;
export type AbsentCodeRule = z.infer<typeof absentCodeRule>;
export type ReindentRule = z.infer<typeof reindentRule>;
export type AlignedRenameRule = z.infer<typeof alignedRenameRule>;
export type RenamedContextRule = z.infer<typeof renamedContextRule>;
export type ApiRewriteRule = z.infer<typeof apiRewriteRule>;
export type RemovedDefinitionRule = z.infer<typeof removedDefinitionRule>;
export type DriftedRemovalRule = z.infer<typeof driftedRemovalRule>;
