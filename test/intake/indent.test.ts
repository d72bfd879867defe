import { describe, expect, it } from 'vitest';
import { inferIndentation, type DraftLine } from '../../app/intake/indent.ts';

const ctx = (text: string): DraftLine => ({ op: ' ', text, exact: true });
const del = (text: string): DraftLine => ({ op: '-', text, exact: true });
/** an added line as a damaged mail has it: leading whitespace collapsed to one space */
const add = (text: string): DraftLine => ({ op: '+', text: text.replace(/^\s+/, ' '), exact: false });

function infer(lines: DraftLine[], zeroKnown = true) {
  return inferIndentation(lines, '\t', zeroKnown);
}

describe('inferIndentation', () => {
  it('takes the indentation of the removed line an added line replaces', () => {
    const r = infer([ctx('\tif (err)'), del('\t\tbreak;'), add('\t\tgoto out;'), ctx('\tcount++;')]);
    expect(r).toEqual({ ok: true, lines: ['\tif (err)', '\t\tbreak;', '\t\tgoto out;', '\tcount++;'] });
  });

  it('puts labels at column 0, a line after { one step deeper, a line before } one step inside', () => {
    const r = infer([ctx('\treturn 0;'), add(''), add('out:'), add('\tkfree(p);'), add('\treturn -ENOMEM;'), ctx('}')]);
    expect(r.ok && r.lines).toEqual(['\treturn 0;', '', 'out:', '\tkfree(p);', '\treturn -ENOMEM;', '}']);
    const brace = infer([ctx('\tif (x) {'), add('\t\tfoo();'), ctx('\t\tbar();')]);
    expect(brace.ok && brace.lines[1]).toBe('\t\tfoo();');
  });

  it('indents the body of a brace-less if and returns after it', () => {
    const r = infer([ctx('\terr = sync();'), add('\tif (err)'), add('\t\tgoto out;'), add('\tdone = true;'), ctx('\treturn 0;')]);
    expect(r.ok && r.lines).toEqual(['\terr = sync();', '\tif (err)', '\t\tgoto out;', '\tdone = true;', '\treturn 0;']);
  });

  it('closes a block one step out', () => {
    const r = infer([ctx('\tif (x) {'), ctx('\t\tfoo();'), add('\t}'), add('\tbar();'), ctx('\treturn 0;')]);
    expect(r.ok && r.lines).toEqual(['\tif (x) {', '\t\tfoo();', '\t}', '\tbar();', '\treturn 0;']);
  });

  it('refuses a continuation line (alignment unknown)', () => {
    const r = infer([ctx('\tret = call(a,'), add('\t\t   b);'), ctx('\treturn ret;')]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/unfinished statement/);
  });

  it('refuses when the rules disagree', () => {
    // the removed line it pairs with says two tabs, the brace before it says one
    const r = infer([ctx('{'), del('\t\tfoo(1);'), add('\tfoo(2);'), ctx('}')]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/says "\\t\\t".*says "\\t"|says "\\t".*says "\\t\\t"/);
  });

  it('without tab indentation only pairing decides', () => {
    const r = inferIndentation([ctx('    x = 1'), del('    y = 2'), add('    y = 3'), add('    z = 4')], null, true);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/z = 4/);
  });
});
