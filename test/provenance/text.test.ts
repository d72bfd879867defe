import { describe, expect, it } from 'vitest';
import { hunkLineRoles } from '../../app/provenance/blame.ts';
import { findBlock } from '../../app/provenance/text.ts';
import type { Hunk } from '../../app/core/patch.ts';

const file = ['int f(void)', '{', '\tint err;', '', '\terr = g();', '\tif (err)', '\t\tbreak;', '\treturn 0;', '}', ''].join('\n');

describe('findBlock', () => {
  it('matches whitespace-insensitively and across dropped blank lines', () => {
    expect(findBlock(file, ['int err;', 'err = g();'])).toEqual([2]);
    expect(findBlock(file, [' if (err)', '  break;'])).toEqual([5]);
    expect(findBlock(file, ['if (err)', 'return 0;'])).toEqual([]);
    expect(findBlock(file + file, ['if (err)', 'break;'])).toHaveLength(2);
  });
});

describe('hunkLineRoles', () => {
  it('separates removed lines, insertion neighbours and plain context', () => {
    const h: Hunk = {
      oldStart: 1, oldLines: 6, newStart: 1, newLines: 8, section: '',
      lines: [
        { op: ' ', text: 'a' },
        { op: '-', text: 'b' },
        { op: '+', text: 'B' },
        { op: ' ', text: 'c' },
        { op: ' ', text: 'd' },
        { op: '+', text: 'new1' },
        { op: '+', text: 'new2' },
        { op: ' ', text: 'e' },
        { op: ' ', text: 'f' },
      ],
    };
    expect(hunkLineRoles(h)).toEqual([
      { offset: 0, role: 'context' },
      { offset: 1, role: 'removed' },
      { offset: 2, role: 'context' },
      { offset: 3, role: 'insertion-neighbour' },
      { offset: 4, role: 'insertion-neighbour' },
      { offset: 5, role: 'context' },
    ]);
  });
});
