import { afterEach, describe, expect, it } from 'vitest';
import { interdiff } from '../../app/apply/interdiff.ts';
import { parseUnifiedDiff } from '../../app/apply/parse.ts';
import type { Adaptation } from '../../app/core/backport.ts';
import { renderPatch } from '../../app/core/patch.ts';
import { makeTree, type Fixture } from './fixture.ts';

/** upstream's hunk with `added` as the lines after `if (err) {`; counts computed so the diff stays valid */
function hunk(added: string[], opts: { start?: number; context?: string; path?: string } = {}): string {
  const path = opts.path ?? 'drivers/widget/core.c';
  const start = opts.start ?? 10;
  const body = [` ${opts.context ?? '\terr = widget_map(wd->dev, attrs);'}`, '-\tif (err)', '+\tif (err) {', ...added.map((a) => `+${a}`), ' \t\treturn err;'];
  const oldN = body.filter((l) => l[0] !== '+').length;
  const newN = body.filter((l) => l[0] !== '-').length;
  return [`--- a/${path}`, `+++ b/${path}`, `@@ -${start},${oldN} +${start},${newN} @@ static int widget_setup(struct widget_dev *wd)`, ...body].join('\n') + '\n';
}
const UP = hunk(['\t\twidget_unmap(wd->dev, attrs);']);

const subst: Adaptation = { rule: 'context-substitution', file: 'drivers/widget/core.c', hunk: 1, note: 'n', params: { from: 'attrs', to: '0' } };

describe('interdiff', () => {
  it('is empty for an identical backport, whatever the line numbers and context', () => {
    const bp = parseUnifiedDiff(hunk(['\t\twidget_unmap(wd->dev, attrs);'], { start: 99, context: '\terr = widget_map(wd->dev, 0);' }));
    expect(interdiff(parseUnifiedDiff(UP), bp, [])).toEqual({ text: '', unexplained: [] });
  });

  it('accepts a difference a substitution explains, and shows it', () => {
    const bp = parseUnifiedDiff(hunk(['\t\twidget_unmap(wd->dev, 0);']));
    const r = interdiff(parseUnifiedDiff(UP), bp, [subst]);
    expect(r.unexplained).toEqual([]);
    expect(r.text).toContain('-+\t\twidget_unmap(wd->dev, attrs);');
    expect(r.text).toContain('++\t\twidget_unmap(wd->dev, 0);');
  });

  it('lists a difference no adaptation explains', () => {
    const bp = parseUnifiedDiff(hunk(['\t\twidget_unmap(wd->dev, 0);', '\t\twidget_reset(wd);']));
    const r = interdiff(parseUnifiedDiff(UP), bp, [subst]);
    expect(r.unexplained).toEqual(['drivers/widget/core.c hunk 1: +\t\twidget_reset(wd);']);
    const r2 = interdiff(parseUnifiedDiff(UP), parseUnifiedDiff(hunk(['\t\twidget_unmap(wd->dev, 0);'])), []);
    expect(r2.unexplained).toHaveLength(1);
  });

  it('requires a file-moved adaptation for a different path', () => {
    const bp = parseUnifiedDiff(hunk(['\t\twidget_unmap(wd->dev, attrs);'], { path: 'drivers/widget/main.c' }));
    expect(interdiff(parseUnifiedDiff(UP), bp, []).unexplained[0]).toContain('without a file-moved adaptation');
    const moved: Adaptation = { rule: 'file-moved', file: 'drivers/widget/core.c', hunk: 1, note: 'n', params: { fromPath: 'drivers/widget/core.c', toPath: 'drivers/widget/main.c' } };
    expect(interdiff(parseUnifiedDiff(UP), bp, [moved]).unexplained).toEqual([]);
  });
});

describe('parseUnifiedDiff', () => {
  it('keeps sections, git headers and no-newline markers, and round-trips through renderPatch', () => {
    const text = `diff --git a/x.c b/x.c
index 1111111..2222222 100644
--- a/x.c
+++ b/x.c
@@ -1,2 +1,2 @@ int main(void)
 int a;
-int b;
\\ No newline at end of file
+int c;
\\ No newline at end of file
`;
    const [f] = parseUnifiedDiff(text);
    expect(f).toMatchObject({ oldPath: 'x.c', newPath: 'x.c', headers: ['index 1111111..2222222 100644'] });
    expect(f.hunks[0].section).toBe('int main(void)');
    expect(f.hunks[0].lines.at(-1)).toEqual({ op: '+', text: 'int c;', noEol: true });
    expect(parseUnifiedDiff(renderPatch([f]))[0].hunks).toEqual(f.hunks);
  });

  it('rejects text that is not a diff with a bad-input error', () => {
    expect(() => parseUnifiedDiff('hello\n')).toThrow(/no file changes/);
    expect(() => parseUnifiedDiff('--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n')).toThrow();
  });
});

describe('DirTree', () => {
  let fx: Fixture | null = null;
  afterEach(() => fx?.cleanup());

  it('reads inside its root only, lists files, finds whole words, with or without the header index', async () => {
    fx = makeTree({ 'include/a.h': '/* beta */\nint alpha_beta;\n', 'src/b.c': 'int alpha;\nchar *s = "gamma";\n' });
    const t = fx.tree;
    expect(await t.read('src/b.c')).toContain('alpha');
    expect(await t.read('../etc/passwd')).toBeNull();
    expect(await t.read('missing.c')).toBeNull();
    expect(await t.listFiles()).toEqual(['include/a.h', 'src/b.c']);
    expect(await t.filesWithWord('alpha')).toEqual(['src/b.c']);
    expect(await t.filesWithWord('alpha_beta')).toEqual(['include/a.h']);
    expect(await t.hasWordInHeaders('alpha_beta')).toBe(true);
    expect(await t.hasWordInHeaders('alpha')).toBe(false);
    const indexed = makeTree({ 'include/a.h': '/* beta */\nint alpha_beta; // delta\nchar *x = "gamma";\n' }, { wordIndex: true });
    try {
      expect(await indexed.tree.hasWordInHeaders('alpha_beta')).toBe(true);
      // comments and strings are not declarations
      for (const w of ['beta', 'delta', 'gamma', 'alpha']) expect(await indexed.tree.hasWordInHeaders(w)).toBe(false);
    } finally {
      indexed.cleanup();
    }
  });
});

describe('renderPatch of the applied diff', () => {
  it('is a diff git apply would take (sanity of target line numbers)', async () => {
    expect(renderPatch(parseUnifiedDiff(UP))).toContain('@@ -10,3 +10,4 @@ static int widget_setup');
  });
});
