import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { branchProblem, commandLines, newCommandLines, parseCommandLine, parseCommands, type Command } from '../../app/github/commands.ts';

function commands(body: string): Command[] {
  return parseCommands(body).map((p) => {
    if (!p.ok) throw new Error(`unexpected error: ${p.error}`);
    return p.command;
  });
}

function errorOf(line: string): string {
  const p = parseCommandLine(line);
  if (p.ok) throw new Error(`expected an error for ${JSON.stringify(line)}`);
  return p.error;
}

describe('parseCommands', () => {
  it('reads a backport command with and without "to", comma or space separated branches', () => {
    expect(commands('/backport 81e7223b1a2d to linux-6.18.y linux-6.17.y')).toEqual([
      { type: 'backport', target: { kind: 'sha', sha: '81e7223b1a2d' }, branches: ['linux-6.18.y', 'linux-6.17.y'] },
    ]);
    expect(commands('/backport ABCDEF1 linux-6.1.y,linux-6.6.y')).toEqual([
      { type: 'backport', target: { kind: 'sha', sha: 'abcdef1' }, branches: ['linux-6.1.y', 'linux-6.6.y'] },
    ]);
    expect(commands('/backport this')).toEqual([{ type: 'backport', target: { kind: 'this' }, branches: [] }]);
  });

  it('reads several commands per comment, one per line, ignoring prose', () => {
    const body = 'Thanks!\r\n/backport analyze 0123456789abcdef\r\nsome text /backport help (not at line start)\n/backport retry linux-6.12.y\n/backport sweep\n/backport help';
    expect(commands(body)).toEqual([
      { type: 'analyze', sha: '0123456789abcdef' },
      { type: 'retry', branch: 'linux-6.12.y' },
      { type: 'sweep' },
      { type: 'help' },
    ]);
  });

  it('reads skip with a free-text reason and retry without a branch', () => {
    expect(commands('/backport skip linux-5.15.y the driver does not exist there, see #12')).toEqual([
      { type: 'skip', branch: 'linux-5.15.y', reason: 'the driver does not exist there, see #12' },
    ]);
    expect(commands('/backport retry')).toEqual([{ type: 'retry', branch: null }]);
    expect(errorOf('/backport skip linux-5.15.y')).toMatch(/reason is required/);
  });

  it('reads an mbox or patch file path from the repository', () => {
    expect(commands('/backport queue/blk-fix.mbox to linux-6.18.y')).toEqual([
      { type: 'backport', target: { kind: 'file', path: 'queue/blk-fix.mbox' }, branches: ['linux-6.18.y'] },
    ]);
    expect(errorOf('/backport ../secrets/x.mbox to linux-6.18.y')).toMatch(/not a plain repository path/);
    expect(errorOf('/backport /etc/x.patch to linux-6.18.y')).toMatch(/not a plain repository path/);
    expect(errorOf('/backport dir/notes.txt to linux-6.18.y')).toMatch(/\.mbox, \.patch or \.eml/);
  });

  it('ignores commands in code fences, indented code and quotes', () => {
    const body = [
      'How to use it:',
      '```',
      '/backport 0123456 to linux-6.18.y',
      '```',
      '~~~~',
      '/backport sweep',
      '```',
      '/backport help',
      '~~~~',
      '> /backport 0123456 to linux-6.18.y',
      '    /backport 0123456 to linux-6.6.y',
      '/backport analyze abcdef0',
    ].join('\n');
    expect(commands(body)).toEqual([{ type: 'analyze', sha: 'abcdef0' }]);
  });

  it('an unclosed fence hides everything after it', () => {
    expect(commandLines('```\n/backport help')).toEqual([]);
  });

  it('rejects hostile arguments with a clear message', () => {
    expect(errorOf('/backport 0123456 to --upload-pack=/tmp/evil')).toMatch(/looks like an option/);
    expect(errorOf('/backport 0123456 to ../../etc')).toMatch(/not a valid branch name/);
    expect(errorOf('/backport 0123456 to linux-6.1.y;rm')).toMatch(/characters not allowed/);
    expect(errorOf('/backport 0123456 to $(id)')).toMatch(/characters not allowed/);
    expect(errorOf('/backport 0123456 to `id`')).toMatch(/characters not allowed/);
    expect(errorOf('/backport 0123456 to linux\u2028-6.1.y')).toMatch(/control character or line break/);
    expect(errorOf('/backport 0123456 to linux-6.1.y\u000bx')).toMatch(/control character or line break/);
    expect(errorOf('/backport --upload-pack=x to linux-6.1.y')).toMatch(/looks like an option/);
    expect(errorOf('/backport analyze 0123456;ls')).toMatch(/not a commit id/);
    expect(errorOf('/backport analyze g123456')).toMatch(/not a commit id/);
    expect(errorOf('/backport skip --force because')).toMatch(/looks like an option/);
    expect(errorOf('/backport retry ../x')).toMatch(/not a valid branch name/);
  });

  it('a newline ends a command: what follows is prose, never an argument', () => {
    const parsed = parseCommands('/backport 0123456 to linux-6.18.y\n--upload-pack=/tmp/evil');
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ ok: true, command: { branches: ['linux-6.18.y'] } });
  });

  it('rejects unknown sub-commands and prefixes that only look alike', () => {
    expect(errorOf('/backport frobnicate')).toMatch(/unknown command/);
    expect(errorOf('/backport')).toMatch(/missing arguments/);
    expect(errorOf('/backportx 0123456')).toMatch(/unknown command/);
    expect(errorOf('/backport help me')).toMatch(/takes no arguments/);
  });

  it('edited comments: only command lines that are new are returned', () => {
    const before = 'Please\n/backport 0123456 to linux-6.18.y';
    const after = 'Please, thanks\n/backport 0123456 to linux-6.18.y\n/backport 0123456 to linux-6.17.y';
    expect(newCommandLines(after, before).map((p) => p.line)).toEqual(['/backport 0123456 to linux-6.17.y']);
    expect(newCommandLines(after, undefined)).toHaveLength(2);
  });

  it('property: every accepted branch is free of option, path-escape and shell characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        const parsed = parseCommandLine(`/backport 0123456 to ${s}`);
        if (!parsed.ok || parsed.command.type !== 'backport') return;
        for (const b of parsed.command.branches) {
          expect(branchProblem(b)).toBeNull();
          expect(b.startsWith('-')).toBe(false);
          expect(b.includes('..')).toBe(false);
          expect(/[\s;&|$`<>\\]/.test(b)).toBe(false);
        }
      }),
    );
  });
});
