/**
 * The guest's initramfs, built at run time: a static busybox, the kernel modules the test needs (resolved with
 * their dependencies from modules.dep, decompressed), the kpinj injector, and /init rendered from
 * app/verify/kernel/init.sh.in. Written directly as a gzip'd cpio "newc" archive: no cpio binary, no root
 * (device nodes are just archive entries).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { StablebotError } from '../core/errors.ts';
import type { InjectSpec } from './config.ts';

export const KERNEL_DIR = join(dirname(fileURLToPath(import.meta.url)), 'kernel');

// ---------- cpio newc ----------

interface Entry {
  name: string;
  mode: number;
  data?: Buffer;
  rdev?: [number, number];
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function cpioNewc(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const push = (e: Entry) => {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(e.name + '\0');
    const isDir = (e.mode & 0o170000) === S_IFDIR;
    const header =
      '070701' +
      [ino++, e.mode, 0, 0, isDir ? 2 : 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0].map(hex).join('');
    parts.push(Buffer.from(header, 'ascii'), name, Buffer.alloc(pad4(110 + name.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) push(e);
  push({ name: 'TRAILER!!!', mode: 0 });
  return Buffer.concat(parts);
}

// ---------- modules ----------

export interface ModuleSource {
  /** the directory holding lib/modules/<kver> (an extracted kernel package, or a build's modules_install) */
  root: string;
  kver: string;
  /** module names wanted (nvme, intel-iommu…); built-in ones are skipped */
  names: string[];
}

const normName = (s: string) => basename(s).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');

/** Load order for `names` and their dependencies, from modules.dep; names built into the kernel are dropped. */
export function resolveModules(modulesDep: string, builtin: string, names: string[]): { order: string[]; builtin: string[] } {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    deps.set(m[1], m[2].split(/\s+/).filter(Boolean));
    byName.set(normName(m[1]), m[1]);
  }
  const builtins = new Set(builtin.split('\n').filter(Boolean).map(normName));
  const order: string[] = [];
  const isBuiltin: string[] = [];
  const visit = (rel: string, chain: string[]) => {
    if (order.includes(rel) || chain.includes(rel)) return;
    for (const d of deps.get(rel) ?? []) visit(d, [...chain, rel]);
    order.push(rel);
  };
  for (const n of names) {
    const rel = byName.get(normName(n));
    if (rel) visit(rel, []);
    else if (builtins.has(normName(n))) isBuiltin.push(n);
    else throw new StablebotError('bad-input', `kernel module ${n} is neither in modules.dep nor built in`);
  }
  return { order, builtin: isBuiltin };
}

function decompress(file: string): Promise<Buffer> {
  if (file.endsWith('.gz')) return Promise.resolve(gunzipSync(readFileSync(file)));
  if (!/\.(xz|zst)$/.test(file)) return Promise.resolve(readFileSync(file));
  const tool = file.endsWith('.xz') ? 'xz' : 'zstd';
  return new Promise((resolve, reject) => {
    const child = spawn(tool, ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => reject(new StablebotError('bad-input', `cannot run ${tool} to unpack ${basename(file)}: ${e.message}`)));
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new StablebotError('bad-input', `${tool} -dc ${basename(file)} failed: ${err.trim()}`)),
    );
  });
}

// ---------- /init ----------

export function defaultInitTemplate(): string {
  return readFileSync(join(KERNEL_DIR, 'init.sh.in'), 'utf8');
}

const SYM = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** The scenario lines of /init. Values were validated by the config schema; checked again since they go to sh. */
export function renderInit(template: string, opts: { ioMb: number; scenarios: InjectSpec[]; proofProbe?: string }): string {
  const labels = new Set<string>();
  const lines = opts.scenarios.map((s, i) => {
    let label = s.label ?? s.function;
    if (labels.has(label)) label = `${label}-${i + 1}`;
    labels.add(label);
    const proof = opts.proofProbe ?? '-';
    const fields = [
      label,
      s.function,
      s.retval,
      s.interval,
      s.skip,
      s.times,
      s.filter?.arg ?? 0,
      s.filter?.min ?? 0,
      s.noop?.function ?? '-',
      s.noop?.retval ?? 0,
      proof,
    ].map(String);
    for (const f of fields) {
      if (!/^(-|-?\d+|[A-Za-z0-9_.,-]+)$/.test(f) || (f.includes(',') && !f.split(',').every((x) => SYM.test(x)))) {
        throw new StablebotError('bad-config', `unsafe value in injection scenario: ${JSON.stringify(f)}`);
      }
    }
    return `scenario ${fields.join(' ')}`;
  });
  if (!Number.isInteger(opts.ioMb) || opts.ioMb < 1) throw new StablebotError('bad-config', `bad ioMb ${opts.ioMb}`);
  return template.replace('@@IO_MB@@', String(opts.ioMb)).replace('@@SCENARIOS@@', lines.join('\n'));
}

// ---------- the archive ----------

/** A dynamically linked ELF has a PT_INTERP program header; the initramfs has no libc, so busybox must be static. */
export function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 <= elf.length && elf.readUInt32LE(at) === 3) return true;
  }
  return false;
}

export interface InitramfsSpec {
  /** the /init script text */
  init: string;
  /** a statically linked busybox (default /bin/busybox, Debian's busybox-static) */
  busybox?: string;
  modules?: ModuleSource;
  /** the kpinj.ko built for this kernel, installed as /lib/kpinj.ko */
  injector?: string;
}

export interface InitramfsResult {
  file: string;
  bytes: number;
  /** module files loaded by /init, in order */
  modules: string[];
  builtin: string[];
}

export async function buildInitramfs(spec: InitramfsSpec, outFile: string): Promise<InitramfsResult> {
  const busybox = spec.busybox ?? '/bin/busybox';
  if (!existsSync(busybox)) throw new StablebotError('bad-input', `no busybox at ${busybox} (apt-get install busybox-static)`);
  const bb = readFileSync(busybox);
  if (hasInterpreter(bb)) throw new StablebotError('bad-input', `${busybox} is not statically linked (apt-get install busybox-static)`);

  const entries: Entry[] = [];
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'lib', 'lib/modules', 'root']) entries.push({ name: d, mode: S_IFDIR | 0o755 });
  entries.push({ name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] });
  entries.push({ name: 'bin/busybox', mode: S_IFREG | 0o755, data: bb });
  entries.push({ name: 'bin/sh', mode: S_IFLNK | 0o777, data: Buffer.from('busybox') });
  entries.push({ name: 'init', mode: S_IFREG | 0o755, data: Buffer.from(spec.init) });

  const loaded: string[] = [];
  let builtin: string[] = [];
  if (spec.modules && spec.modules.names.length) {
    const md = join(spec.modules.root, 'lib/modules', spec.modules.kver);
    const depFile = join(md, 'modules.dep');
    if (!existsSync(depFile)) throw new StablebotError('bad-input', `no modules.dep in ${md} (run depmod -b)`);
    const builtinFile = join(md, 'modules.builtin');
    const r = resolveModules(readFileSync(depFile, 'utf8'), existsSync(builtinFile) ? readFileSync(builtinFile, 'utf8') : '', spec.modules.names);
    builtin = r.builtin;
    for (const rel of r.order) {
      const name = basename(rel).replace(/\.(xz|zst|gz)$/, '');
      entries.push({ name: `lib/modules/${name}`, mode: S_IFREG | 0o644, data: await decompress(join(md, rel)) });
      loaded.push(name);
    }
  }
  entries.push({ name: 'lib/modules/load.list', mode: S_IFREG | 0o644, data: Buffer.from(loaded.map((m) => m + '\n').join('')) });
  if (spec.injector) {
    if (!existsSync(spec.injector) || !statSync(spec.injector).isFile()) throw new StablebotError('bad-input', `no injector module at ${spec.injector}`);
    entries.push({ name: 'lib/kpinj.ko', mode: S_IFREG | 0o644, data: readFileSync(spec.injector) });
  }

  const gz = gzipSync(cpioNewc(entries), { level: 1 });
  writeFileSync(outFile, gz);
  return { file: outFile, bytes: gz.length, modules: loaded, builtin };
}
