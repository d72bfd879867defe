import type { ReferenceStyle } from '../core/candidate.ts';

/**
 * What provenance needs to know about a stable branch's own history: which of its commits name an upstream commit
 * (reference lines), and which carry a given patch-id. Implemented by the persistent reference index.
 */
export interface ReferenceLookup {
  /** make the branch's entries current (incremental) */
  prepare(branch: string): Promise<void>;
  byUpstream(branch: string, upstreamSha40: string): { commit: string; style: ReferenceStyle }[];
  byPatchId(branch: string, patchId: string): string[];
}
