import { describe, expect, it } from 'vitest';
import { renderPatch } from '../../app/core/patch.ts';
import { findDiffEnd, findDiffStart, parseDiff } from '../../app/intake/diff.ts';
import { damage } from './helpers.ts';

const C_DIFF = `diff --git a/lib/f.c b/lib/f.c
index 1111111..2222222 100644
--- a/lib/f.c
+++ b/lib/f.c
@@ -10,7 +10,8 @@ int f(int a)
 	int x;
 
 	x = g(a);
-	if (x)
+	if (x < 0)
+		pr_warn("g failed\\n");
 		return x;
 
 	return 0;
`;

const PY_DIFF = `diff --git a/tools/t.py b/tools/t.py
index 3333333..4444444 100644
--- a/tools/t.py
+++ b/tools/t.py
@@ -1,3 +1,3 @@
 def main():
-    run(1)
+    run(2)
     return 0
`;

describe('parseDiff', () => {
  it('reads a clean diff exactly and renders it back byte for byte', () => {
    const { files, damage: d } = parseDiff(C_DIFF);
    expect(d).toEqual({ damaged: false, reasons: [] });
    expect(files[0].hunks[0].section).toBe('int f(int a)');
    expect(files[0].headers).toEqual(['index 1111111..2222222 100644']);
    expect(renderPatch(files)).toBe(C_DIFF);
  });

  it('accepts blank context lines whose single space a mailer stripped', () => {
    const stripped = C_DIFF.replace(/^ $/gm, '');
    const { files, damage: d } = parseDiff(stripped);
    expect(d.damaged).toBe(false);
    expect(renderPatch(files)).toBe(C_DIFF);
  });

  it('does not call space-indented files damaged', () => {
    expect(parseDiff(PY_DIFF).damage.damaged).toBe(false);
    // a C file indented with four spaces (lib/zstd style) is clean too
    const zstd = PY_DIFF.replace(/tools\/t\.py/g, 'lib/zstd/z.c');
    expect(parseDiff(zstd).damage).toEqual({ damaged: false, reasons: [] });
  });

  it('names each kind of damage', () => {
    const d = parseDiff(damage(C_DIFF)).damage;
    expect(d.damaged).toBe(true);
    expect(d.reasons).toEqual([
      '4 context lines lost their leading space',
      'hunk line counts do not add up (hunk 1 of lib/f.c says -7 +8 lines but carries -5 +6)',
      '3 added or removed lines are indented by one space where tabs are expected',
      'no tab anywhere in a diff of tab-indented files',
    ]);
  });

  it('detects a diff whose only damage is wrong counts', () => {
    const d = parseDiff(C_DIFF.replace('@@ -10,7 +10,8 @@', '@@ -10,9 +10,8 @@')).damage;
    expect(d.reasons).toEqual(['hunk line counts do not add up (hunk 1 of lib/f.c says -9 +8 lines but carries -7 +8)']);
  });

  it('keeps the op of every line of a damaged diff', () => {
    const { files } = parseDiff(damage(C_DIFF));
    expect(files[0].hunks[0].lines.map((l) => l.op).join('')).toBe('  -++  ');
  });

  it('reads several files and "No newline at end of file"', () => {
    const two = `${PY_DIFF}diff --git a/x.txt b/x.txt
index 5555555..6666666 100644
--- a/x.txt
+++ b/x.txt
@@ -1 +1 @@
-old
\\ No newline at end of file
+new
\\ No newline at end of file
`;
    const { files, damage: d } = parseDiff(two);
    expect(d.damaged).toBe(false);
    expect(files.map((f) => f.newPath)).toEqual(['tools/t.py', 'x.txt']);
    expect(files[1].hunks[0].lines).toEqual([
      { op: '-', text: 'old', noEol: true },
      { op: '+', text: 'new', noEol: true },
    ]);
    expect(renderPatch(files)).toBe(two);
  });
});

describe('findDiffStart / findDiffEnd', () => {
  it('skips a diffstat and stops at the signature, not at a removed "- " line', () => {
    const lines = [' lib/f.c | 2 +-', ' 1 file changed, 1 insertion(+), 1 deletion(-)', '', ...C_DIFF.trimEnd().split('\n'), '-- ', '-- ', '2.51.0', ''];
    const start = findDiffStart(lines);
    expect(lines[start]).toBe('diff --git a/lib/f.c b/lib/f.c');
    const end = findDiffEnd(lines, start);
    // the first "-- " is a removed line "- ", the second is the signature
    expect(lines.slice(end)).toEqual(['-- ', '2.51.0', '']);
  });

  it('accepts the archive form of the signature ("--" without its space)', () => {
    const lines = [...C_DIFF.trimEnd().split('\n'), '--', '2.51.0'];
    expect(findDiffEnd(lines, 0)).toBe(lines.length - 2);
  });

  it('finds a quilt-style diff without a diff --git line', () => {
    const lines = ['body', '---', '--- a/lib/f.c', '+++ b/lib/f.c', '@@ -1 +1 @@', '-a', '+b'];
    expect(findDiffStart(lines)).toBe(2);
  });
});
