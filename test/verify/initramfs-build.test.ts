import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCheck, buildDirFor, parseCompilerOutput } from '../../app/verify/build.ts';
import { buildInitramfs, defaultInitTemplate, hasInterpreter, renderInit, resolveModules } from '../../app/verify/initramfs.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stablebot-verify-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Reads a newc archive back: name → { mode, data, rdev }. */
function readNewc(buf: Buffer) {
  const out = new Map<string, { mode: number; data: Buffer; rdev: [number, number] }>();
  let off = 0;
  const field = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
  while (off < buf.length) {
    expect(buf.toString('ascii', off, off + 6)).toBe('070701');
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const rdev: [number, number] = [field(9), field(10)];
    const name = buf.toString('utf8', off + 110, off + 110 + nameSize - 1);
    let p = off + 110 + nameSize;
    p += (4 - (p % 4)) % 4;
    const data = buf.subarray(p, p + size);
    p += size;
    p += (4 - (p % 4)) % 4;
    off = p;
    if (name === 'TRAILER!!!') break;
    out.set(name, { mode, data, rdev });
  }
  return out;
}

describe('resolveModules', () => {
  const dep = [
    'kernel/drivers/stor/stor.ko.xz: kernel/drivers/stor/stor-core.ko.xz kernel/lib/crc-x.ko.xz',
    'kernel/drivers/stor/stor-core.ko.xz: kernel/lib/key-ring.ko.xz kernel/lib/crc-x.ko.xz',
    'kernel/lib/crc-x.ko.xz:',
    'kernel/lib/key-ring.ko.xz:',
  ].join('\n');
  it('orders dependencies first, each once, and accepts - or _ in names', () => {
    const r = resolveModules(dep, 'kernel/drivers/iommu/intel/iommu.ko\n', ['stor', 'crc_x', 'iommu']);
    expect(r.order).toEqual(['kernel/lib/key-ring.ko.xz', 'kernel/lib/crc-x.ko.xz', 'kernel/drivers/stor/stor-core.ko.xz', 'kernel/drivers/stor/stor.ko.xz']);
    expect(r.builtin).toEqual(['iommu']);
  });
  it('an unknown module is an error', () => {
    expect(() => resolveModules(dep, '', ['nosuch'])).toThrow(/nosuch is neither in modules.dep nor built in/);
  });
});

describe('renderInit', () => {
  it('renders one scenario line per injection, with the proof candidates, and valid sh', () => {
    const init = renderInit(defaultInitTemplate(), {
      ioMb: 4,
      proofProbe: 'foo_map_rq,foo_start',
      scenarios: [
        { function: 'foo_link', retval: -12, interval: 2, skip: 0, times: 50, filter: { arg: 4, min: 1 } },
        { function: 'foo_link', retval: -5, interval: 1, skip: 3, times: -1, noop: { function: 'foo_unmap', retval: 0 } },
      ],
    });
    expect(init).toContain('IO_MB=4');
    expect(init).toContain('scenario foo_link foo_link -12 2 0 50 4 1 - 0 foo_map_rq,foo_start');
    expect(init).toContain('scenario foo_link-2 foo_link -5 1 3 -1 0 0 foo_unmap 0 foo_map_rq,foo_start');
    expect(init).not.toContain('@@');
    const f = join(tmp, 'init.sh');
    writeFileSync(f, init);
    expect(spawnSync('sh', ['-n', f]).status).toBe(0);
  });
  it('refuses values that could break out of the shell line', () => {
    expect(() =>
      renderInit(defaultInitTemplate(), { ioMb: 1, scenarios: [{ function: 'x;reboot', retval: 0, interval: 1, skip: 0, times: 1 }] }),
    ).toThrow(/unsafe value/);
  });
});

describe('buildInitramfs', () => {
  it('writes a gzip newc archive with busybox, /init, a console node, the decompressed modules and the injector', async () => {
    const root = join(tmp, 'kroot');
    const md = join(root, 'lib/modules/9.9.9-test');
    mkdirSync(join(md, 'kernel/drivers/stor'), { recursive: true });
    writeFileSync(join(md, 'modules.dep'), 'kernel/drivers/stor/stor.ko.gz: kernel/drivers/stor/stor-core.ko\nkernel/drivers/stor/stor-core.ko:\n');
    writeFileSync(join(md, 'modules.builtin'), '');
    writeFileSync(join(md, 'kernel/drivers/stor/stor.ko.gz'), gzipSync(Buffer.from('STOR-MODULE')));
    writeFileSync(join(md, 'kernel/drivers/stor/stor-core.ko'), 'CORE-MODULE');
    const inj = join(tmp, 'kpinj.ko');
    writeFileSync(inj, 'INJECTOR');
    // any static ELF stands in for busybox: the check is "no program interpreter"
    const bb = join(tmp, 'busybox');
    const elf = Buffer.alloc(64 + 56);
    elf.writeUInt32BE(0x7f454c46, 0);
    elf[4] = 2;
    elf.writeBigUInt64LE(64n, 0x20);
    elf.writeUInt16LE(56, 0x36);
    elf.writeUInt16LE(1, 0x38);
    elf.writeUInt32LE(1, 64); // PT_LOAD
    writeFileSync(bb, elf);
    expect(hasInterpreter(elf)).toBe(false);

    const out = join(tmp, 'initrd.gz');
    const r = await buildInitramfs({ init: '#!/bin/sh\necho hi\n', busybox: bb, modules: { root, kver: '9.9.9-test', names: ['stor'] }, injector: inj }, out);
    expect(r.modules).toEqual(['stor-core.ko', 'stor.ko']);
    const files = readNewc(gunzipSync(readFileSync(out)));
    expect(files.get('init')?.data.toString()).toBe('#!/bin/sh\necho hi\n');
    expect(files.get('init')!.mode & 0o777).toBe(0o755);
    expect(files.get('bin/sh')?.data.toString()).toBe('busybox');
    expect(files.get('dev/console')?.rdev).toEqual([5, 1]);
    expect(files.get('lib/modules/stor.ko')?.data.toString()).toBe('STOR-MODULE');
    expect(files.get('lib/modules/load.list')?.data.toString()).toBe('stor-core.ko\nstor.ko\n');
    expect(files.get('lib/kpinj.ko')?.data.toString()).toBe('INJECTOR');

    elf.writeUInt32LE(3, 64); // PT_INTERP: dynamically linked
    writeFileSync(bb, elf);
    await expect(buildInitramfs({ init: '', busybox: bb }, out)).rejects.toThrow(/not statically linked/);
  });
});

describe('build check (make with O=, on a small stand-in tree)', () => {
  // A tree whose Makefile compiles <x>.o from <x>.c into O=, like kbuild's single-object targets.
  const src = join(tmp, 'tree');
  mkdirSync(join(src, 'drivers/widget'), { recursive: true });
  writeFileSync(
    join(src, 'Makefile'),
    ['%.o: %.c', '\t@mkdir -p $(O)/$(dir $@)', '\t$(CC) -c -Wall $< -o $(O)/$@', 'slow.o:', '\tsleep 37', ''].join('\n'),
  );
  writeFileSync(join(src, 'drivers/widget/good.c'), 'int widget_good(int a)\n{\n\treturn a + 1;\n}\n');
  writeFileSync(join(src, 'drivers/widget/bad.c'), 'int widget_bad(int a)\n{\n\treturn a + undeclared_thing;\n}\n');
  const tree = { srcDir: src, outDir: join(tmp, 'out', 'b'), jobs: 2 };

  it('compiles the touched .c files; headers are listed as skipped', async () => {
    const r = await buildCheck(tree, ['drivers/widget/good.c', 'include/widget.h'], 60);
    expect(r.ok).toBe(true);
    expect(r.objects).toEqual(['drivers/widget/good.o']);
    expect(r.skipped).toEqual(['include/widget.h']);
  });

  it('a compiler error gives ok=false with the file:line: error: line', async () => {
    const r = await buildCheck(tree, ['drivers/widget/good.c', 'drivers/widget/bad.c'], 60);
    expect(r.ok).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^drivers\/widget\/bad\.c:3:\d+: error: .*undeclared_thing/);
  });

  it('the time limit kills the whole make process group', async () => {
    const t0 = Date.now();
    const r = await buildCheck(tree, ['slow.c'], 1);
    expect(r.timedOut).toBe(true);
    expect(r.ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(spawnSync('pgrep', ['-f', 'sleep 37']).stdout.toString().trim()).toBe('');
  });

  it('refuses paths that leave the tree, and branch names that are not directories', async () => {
    await expect(buildCheck(tree, ['../etc/x.c'], 5)).rejects.toThrow(/bad file path/);
    expect(buildDirFor('/c', 'linux-6.18.y')).toBe('/c/linux-6.18.y');
    expect(buildDirFor('/c', 'stable/linux-6.6.y')).toBe('/c/stable__linux-6.6.y');
    expect(() => buildDirFor('/c', '../x')).toThrow(/branch name/);
  });
});

describe('parseCompilerOutput', () => {
  it('makes O= paths relative to the tree and separates errors from warnings', () => {
    const out = [
      '  CC      block/blk-mq-dma.o',
      '/src/linux/block/blk-mq-dma.c:140:9: error: too many arguments to function ‘dma_iova_destroy’',
      '/src/linux/block/blk-mq-dma.c:90:1: warning: unused variable ‘x’ [-Wunused-variable]',
      'make[4]: *** [scripts/Makefile.build:287: block/blk-mq-dma.o] Error 1',
    ].join('\n');
    expect(parseCompilerOutput(out, '/src/linux')).toEqual({
      errors: ['block/blk-mq-dma.c:140:9: error: too many arguments to function ‘dma_iova_destroy’'],
      warnings: ['block/blk-mq-dma.c:90:1: warning: unused variable ‘x’ [-Wunused-variable]'],
    });
  });
});
