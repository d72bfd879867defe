import type { Person, Trailers } from './candidate.ts';
import type { FilePatch } from './patch.ts';
import type { UpstreamInfo } from './provenance.ts';

/** An upstream fix, resolved from a commit or a mail, with an exact (recovered if needed) diff. */
export interface Fix {
  upstream: UpstreamInfo;
  /** the fix's commit in the repository, when it is there */
  commit: string | null;
  /** its first parent (where blame runs), when known */
  parent: string | null;
  subject: string;
  author?: Person;
  /** commit message without the subject line: body and trailers as upstream merged them */
  message: string;
  trailers: Trailers;
  files: FilePatch[];
  /** exact diff text (git apply-able) */
  diffText: string;
  /** git patch-id --stable of the diff */
  patchId: string | null;
}
