#!/usr/bin/env node
// Checks what the QEMU tests in test/verify need, and fetches Debian's prebuilt 6.12 kernel when it is missing.
// Exit 0: ready. Exit 1: something is missing; the exact apt-get line to run is printed.
//   node test/verify/prereqs.mjs            (CI runs it before npm test)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fetchScript = join(here, '../../app/verify/kernel/fetch-debian-kernel.sh');
const cache = process.env.STABLEBOT_KERNEL_CACHE ?? join(homedir(), '.cache/stablebot/kernel');

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
const staticBusybox = () => {
  const f = '/bin/busybox';
  if (!existsSync(f)) return false;
  const out = spawnSync('file', ['-L', f], { encoding: 'utf8' });
  if (out.status === 0) return /statically linked/.test(out.stdout);
  return !readFileSync(f).includes(Buffer.from('/lib64/ld-linux'));
};

// tool → Debian package
const needs = [
  ['qemu-system-x86_64', 'qemu-system-x86', () => has('qemu-system-x86_64')],
  ['static busybox', 'busybox-static', staticBusybox],
  ['xz (module unpacking)', 'xz-utils', () => has('xz')],
  ['depmod', 'kmod', () => has('depmod') || existsSync('/sbin/depmod') || existsSync('/usr/sbin/depmod')],
  ['make + gcc (kpinj.ko)', 'build-essential', () => has('make') && has('gcc')],
  ['apt-get download', 'apt', () => has('apt-get') && has('dpkg-deb')],
];
const missing = needs.filter(([, , ok]) => !ok());
if (missing.length) {
  console.error(`verify prereqs: missing ${missing.map(([what]) => what).join(', ')}`);
  console.error(`run: apt-get update && apt-get install -y --no-install-recommends ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')}`);
  process.exit(1);
}

const r = spawnSync('bash', [fetchScript, cache], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const kver = r.stdout.trim().split('\n').pop();
if (r.status !== 0 || !kver) {
  console.error(`verify prereqs: fetching Debian's kernel into ${cache} failed (exit ${r.status}); run: apt-get update  and retry`);
  process.exit(1);
}
const root = join(cache, kver);
for (const f of [`root/boot/vmlinuz-${kver}`, `root/lib/modules/${kver}/modules.dep`, 'kpinj/kpinj.ko']) {
  if (!existsSync(join(root, f))) {
    console.error(`verify prereqs: ${join(root, f)} missing after fetch`);
    process.exit(1);
  }
}
console.log(`verify prereqs: ok (kernel ${kver} in ${cache}, KVM ${existsSync('/dev/kvm') ? 'present' : 'absent: TCG'})`);
