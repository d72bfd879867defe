import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { parseMail, parseMbox } from '../../app/intake/mail.ts';
import { findUpstreamReference, parseTrailers } from '../../app/intake/trailers.ts';

const dir = new URL('../../fixtures/mails/', import.meta.url);
const samples = readdirSync(dir)
  .filter((f) => !f.startsWith('malformed'))
  .map((f) => readFileSync(new URL(f, dir), 'utf8'));
samples.push(readFileSync('/work/shared/seeds/autosel-6.19-blk-rq-dma-map-iova.txt', 'utf8'));

/** Returns normally or throws a StablebotError; anything else fails the property. */
function onlyStablebotErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof StablebotError) return true;
    throw e;
  }
}

/** Line-level edits of a valid mail: delete, duplicate, swap, truncate, strip whitespace, inject noise. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('strip' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string(),
      fc.constantFrom('---', '-- ', '--', 'diff --git a/x b/x', '@@ -1,2 +1,2 @@', '@@ -0,0 +1 @@', '+', '-', ' ', '\\ No newline at end of file',
        'From mboxrd@z Thu Jan  1 00:00:00 1970', 'Subject: [PATCH AUTOSEL 6.1-5.15 1/0]', 'Fixes: ', 'Cc: stable@vger.kernel.org #',
        '--- a/x', '+++ b/x', 'GIT binary patch', 'rename from ', '=?utf-8?b?!!?=', 'Content-Transfer-Encoding: base64'),
    ),
  }),
);

type Mutation =
  | { kind: 'delete' | 'duplicate' | 'truncate' | 'strip'; at: number }
  | { kind: 'swap'; at: number; to: number }
  | { kind: 'insert'; at: number; text: string };

function mutate(text: string, edits: Mutation[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    const i = lines.length ? e.at % lines.length : 0;
    switch (e.kind) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, lines[i] ?? '');
        break;
      case 'swap': {
        const j = lines.length ? e.to % lines.length : 0;
        [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      case 'truncate':
        lines.length = Math.min(lines.length, i);
        break;
      case 'strip':
        lines[i] = (lines[i] ?? '').trim();
        break;
      case 'insert':
        lines.splice(i, 0, e.text);
        break;
    }
  }
  return lines.join('\n');
}

describe('intake never throws anything but StablebotError', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        expect(onlyStablebotErrors(() => parseMail(s))).toBe(true);
        expect(onlyStablebotErrors(() => parseMbox(s))).toBe(true);
        expect(parseTrailers(s).all).toBeInstanceOf(Array);
        findUpstreamReference(s);
      }),
      { numRuns: 400 },
    );
  });

  it('on mutations of valid mails', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, edits) => {
        const text = mutate(sample, edits);
        expect(onlyStablebotErrors(() => parseMail(text))).toBe(true);
        expect(onlyStablebotErrors(() => parseMbox(text))).toBe(true);
        expect(Array.isArray(parseTrailers(text).all)).toBe(true);
      }),
      { numRuns: 600 },
    );
  });

  it('a parsed mail always has a subject and at least one file', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { maxLength: 3 }), (sample, edits) => {
        let mail;
        try {
          mail = parseMail(mutate(sample, edits));
        } catch (e) {
          if (e instanceof StablebotError) return;
          throw e;
        }
        expect(mail.subject.length).toBeGreaterThan(0);
        expect(mail.files.length).toBeGreaterThan(0);
        expect(mail.damage.damaged).toBe(mail.damage.reasons.length > 0);
      }),
      { numRuns: 300 },
    );
  });
});
