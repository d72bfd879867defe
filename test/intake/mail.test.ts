import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StablebotError } from '../../app/core/errors.ts';
import { addedLines, removedLines } from '../../app/core/patch.ts';
import { parseMail, parseMbox } from '../../app/intake/mail.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/mails/${name}`, import.meta.url), 'utf8');

function seedText(): string {
  const local = new URL('../../fixtures/seed/autosel-6.19-blk-rq-dma-map-iova.txt', import.meta.url);
  return readFileSync(existsSync(local) ? local : '/work/shared/seeds/autosel-6.19-blk-rq-dma-map-iova.txt', 'utf8');
}

function malformed(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StablebotError);
    expect((e as StablebotError).code).toBe('malformed-mail');
    expect((e as StablebotError).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a malformed-mail error');
}

describe('the seed (web-archive copy of an AUTOSEL mail)', () => {
  const mail = parseMail(seedText());

  it('reads the envelope', () => {
    expect(mail.kind).toBe('autosel');
    expect(mail.targetVersions).toEqual(['6.19']);
    expect(mail.subject).toBe('block: fix partial IOVA mapping cleanup in blk_rq_dma_map_iova');
    expect(mail.upstream).toEqual({ sha: '81e7223b1a2d63b655ee72577c8579f968d037e3', style: 'upstream-commit' });
    // the in-body From (the patch author) wins over the archive's sender line
    expect(mail.author).toEqual({ name: 'Chaitanya Kulkarni', email: 'kch@xxxxxxxxxx' });
  });

  it('keeps the message apart from the reference line and the LLM section', () => {
    expect(mail.message.startsWith('When dma_iova_link() fails partway')).toBe(true);
    expect(mail.message).not.toMatch(/Upstream commit|LLM Generated|Stable criteria|\*\*YES\*\*/);
    expect(mail.message.endsWith('Signed-off-by: Sasha Levin <sashal@xxxxxxxxxx>')).toBe(true);
    expect(mail.trailers.signedOffBy).toHaveLength(3);
    expect(mail.trailers.signedOffBy[2]).toMatch(/^Sasha Levin/);
    expect(mail.trailers.reviewedBy).toEqual(['Christoph Hellwig <hch@xxxxxx>']);
  });

  it('cuts the diff between the diffstat and the signature', () => {
    expect(mail.diffText.startsWith('diff --git a/block/blk-mq-dma.c b/block/blk-mq-dma.c\n')).toBe(true);
    expect(mail.diffText).not.toMatch(/^--$|2\.51\.0|files? changed/m);
    expect(mail.files.map((f) => [f.oldPath, f.newPath])).toEqual([['block/blk-mq-dma.c', 'block/blk-mq-dma.c']]);
    const [h] = mail.files[0].hunks;
    expect([h.oldStart, h.oldLines, h.newStart, h.newLines]).toEqual([126, 17, 126, 20]);
    expect(removedLines(h).map((l) => l.trim())).toEqual(['break;', 'if (error) {', 'iter->status = errno_to_blk_status(error);', 'return false;', '}']);
    expect(addedLines(h)).toContain('out_unlink:');
  });

  it('says why the diff is damaged', () => {
    expect(mail.damage.damaged).toBe(true);
    const reasons = mail.damage.reasons.join('\n');
    expect(reasons).toMatch(/context lines lost their leading space/);
    expect(reasons).toMatch(/hunk 1 of block\/blk-mq-dma\.c says -17 \+20 lines but carries -14 \+17/);
    expect(reasons).toMatch(/indented by one space where tabs are expected/);
  });
});

describe('fixture mails', () => {
  it('AUTOSEL with a version range, folded subject and X-stable headers', () => {
    const m = parseMail(fixture('autosel-range.eml'));
    expect(m).toMatchObject({
      kind: 'autosel',
      subject: 'widget: mark the device broken when the buffer allocation fails',
      targetVersions: ['7.0', '6.18'],
      stableBase: 'Linux 7.0.2',
      messageId: '20260316140211.1234567-3-sashal@kernel.org',
      author: { name: 'Ana Ortiz', email: 'ana@example.org' },
      upstream: { sha: '5f0e1d2c3b4a59687766554433221100ffeeddcc', style: 'upstream-commit' },
      damage: { damaged: false, reasons: [] },
    });
    expect(m.series).toBeUndefined();
    expect(m.trailers.fixes).toEqual([{ sha: '1a2b3c4d5e6f', subject: 'widget: add probe' }]);
    expect(m.trailers.stable).toEqual([{ address: 'stable@vger.kernel.org', hint: '6.18+', minVersion: '6.18', noautosel: false }]);
    // the LLM section's "Reviewed-by:" line is not a trailer
    expect(m.trailers.reviewedBy).toEqual([]);
    expect(m.message).not.toContain('LLM Generated');
    expect(m.diffText).not.toMatch(/2\.51\.0|insertions/);
    expect(m.files[0].hunks[0].lines.filter((l) => l.op === '+').map((l) => l.text)).toEqual([
      '\tif (!wd->buf) {',
      '\t\twd->state = WIDGET_BROKEN;',
      '\t}',
    ]);
  });

  it('AUTOSEL numbered within a series', () => {
    const m = parseMail(fixture('autosel-numbered.eml'));
    expect(m).toMatchObject({ kind: 'autosel', targetVersions: ['6.5'], series: { index: 10, total: 37 }, stableBase: 'Linux 6.5.1' });
    expect(m.author?.name).toBe('Bo Lindqvist');
    expect(m.trailers.reportedBy).toEqual(['Kai Meyer <kai@example.net>']);
    expect(m.trailers.ackedBy).toEqual(['Net Maintainer <netmaint@example.org>']);
    expect(m.trailers.all.map((t) => t.key)).toContain('Closes');
  });

  it('stable review mail with a quilt-style diff', () => {
    const m = parseMail(fixture('stable-review.eml'));
    expect(m).toMatchObject({
      kind: 'stable-review',
      subject: 'quux: truncate the page cache on size changes',
      targetVersions: ['6.12'],
      series: { index: 218, total: 232 },
      author: { name: 'Lin Qiao', email: 'lin.qiao@example.com' },
      upstream: { sha: '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567', style: 'commit-upstream' },
      damage: { damaged: false },
    });
    expect(m.message.startsWith('quux_setattr() copies')).toBe(true);
    expect(m.message).not.toMatch(/review patch|upstream\./);
    expect(m.files.map((f) => f.newPath)).toEqual(['fs/quux/inode.c']);
    expect(m.trailers.stable[0].minVersion).toBe('6.6');
  });

  it('git format-patch output with encoded words and folded headers', () => {
    const m = parseMail(fixture('format-patch.patch'));
    expect(m).toMatchObject({
      kind: 'format-patch',
      subject: 'widget: handle µcontroller allocation failure',
      rawSubject: '[PATCH] widget: handle µcontroller allocation failure',
      author: { name: 'Jörg Rödel', email: 'joerg@example.org' },
      targetVersions: [],
      date: 'Thu, 12 Feb 2026 09:30:00 +0100',
    });
    expect(m.upstream).toBeUndefined();
    expect(m.trailers.fixes).toEqual([{ sha: '1a2b3c4d5e6f7', subject: 'widget: add probe' }]);
    expect(m.trailers.stable.map((s) => [s.noautosel, s.minVersion])).toEqual([
      [true, undefined],
      [false, '3.3'],
    ]);
    expect(m.trailers.stableDeps).toEqual([{ sha: '2b3c4d5e6f70', subject: 'widget: split probe' }]);
    expect(m.diffText.endsWith('\treturn 0;\n')).toBe(true);
  });

  it('FAILED mail: upstream id, target, dependencies and the quoted original commit', () => {
    const m = parseMail(fixture('failed.eml'));
    expect(m).toMatchObject({
      kind: 'failed',
      subject: 'net: gadget: drop packets while the interface is down',
      targetVersions: ['6.1'],
      upstream: { sha: '7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a' },
      author: { name: 'Bo Lindqvist', email: 'bo@example.net' },
      date: 'Thu, 22 Jan 2026 16:04:12 +0100',
    });
    expect(m.dependencies).toEqual([
      { sha: 'c0ffee123456', subject: 'net: gadget: add an up flag' },
      { sha: 'abcdef012345', subject: 'net: gadget: split rx path' },
    ]);
    expect(m.message.startsWith('gadget_rx() hands packets')).toBe(true);
    expect(m.message).not.toMatch(/cherry-pick|greg k-h/);
    expect(m.trailers.stable[0].hint).toBe('after -rc3');
    expect(m.files[0].newPath).toBe('net/core/gadget.c');
  });

  it('an mbox with three messages, mboxrd escapes undone', () => {
    const mails = parseMbox(fixture('series.mbox'));
    expect(mails.map((m) => [m.series?.index, m.subject, m.files[0].newPath])).toEqual([
      [1, 'widget: mark the device broken on allocation failure', 'drivers/misc/widget.c'],
      [2, 'net: gadget: drop packets while the interface is down', 'net/core/gadget.c'],
      [3, 'quux: truncate the page cache on size changes', 'fs/quux/inode.c'],
    ]);
    expect(mails[0].message).toContain('\nFrom now on the ioctl path');
    expect(mails.every((m) => m.kind === 'format-patch' && !m.damage.damaged)).toBe(true);
  });

  it('an mbox of one message without a separator, and a FAILED mail is not split at its quoted From line', () => {
    expect(parseMbox(fixture('format-patch.patch'))).toHaveLength(1);
    const failed = parseMbox(fixture('failed.eml'));
    expect(failed).toHaveLength(1);
    expect(failed[0].kind).toBe('failed');
  });

  it('skips a cover letter in an mbox', () => {
    const cover = 'From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: A <a@example.org>\nSubject: [PATCH 0/3] widget fixes\n\nThree fixes.\n\n';
    const mails = parseMbox(cover + fixture('series.mbox'));
    expect(mails).toHaveLength(3);
  });

  it('refuses malformed mails with one clear line', () => {
    malformed(() => parseMail(fixture('malformed-no-diff.eml')), /no diff found in "please pick the widget fix"/);
    malformed(() => parseMail(fixture('malformed-no-subject.eml')), /no Subject header/);
    malformed(() => parseMail(''), /empty input/);
    malformed(() => parseMail('\0\x01\x02binary'), /binary data/);
    malformed(() => parseMbox('From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: a\nSubject: x\n\nno diff\n\n' + fixture('series.mbox')), /message 1 of 4: .*no diff/);
  });
});

describe('mail variants', () => {
  const diff = fixture('autosel-range.eml').split('\n\n').find((p) => p.includes('diff --git'))!;

  it('decodes a quoted-printable body', () => {
    const qp = `From: =?iso-8859-1?q?Andr=E9_Dev?= <andre@example.org>\nSubject: [PATCH 6.6.y] widget: fix\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nBody with a soft=\n break.\n\nSigned-off-by: Andr=C3=A9 Dev <andre@example.org>\n---\n${diff.replace(/=/g, '=3D')}\n`;
    const m = parseMail(qp);
    expect(m.author?.name).toBe('André Dev');
    expect(m.message).toContain('soft break.');
    expect(m.trailers.signedOffBy).toEqual(['André Dev <andre@example.org>']);
    expect(m.targetVersions).toEqual(['6.6']);
    expect(m.damage.damaged).toBe(false);
  });

  it('handles CRLF line endings and a Re: prefix', () => {
    const m = parseMail(`Subject: Re: [PATCH AUTOSEL 6.12 3/9] widget: fix\r\nFrom: S <s@example.org>\r\n\r\nBody.\r\n---\r\n${diff.replace(/\n/g, '\r\n')}\r\n`);
    expect(m).toMatchObject({ kind: 'autosel', subject: 'widget: fix', targetVersions: ['6.12'], series: { index: 3, total: 9 } });
  });

  it('a web-archive copy of a plain patch is kind plain', () => {
    const m = parseMail(`widget: fix the probe\nFrom: Dev <dev@xxxxxxx>\nDate: Mon Jan 5 2026\nBody.\nSigned-off-by: Dev <dev@xxxxxxx>\n---\n${diff}\n`);
    expect(m.kind).toBe('plain');
    expect(m.targetVersions).toEqual([]);
    expect(m.author?.name).toBe('Dev');
  });
});
