/**
 * Builds the sweep bench repository (run as a child of run.ts, so its memory does not count in the sweep's peak):
 * the padded kernel-shaped mirror, then N new upstream commits on master in one fast-import, a mix of
 * `Cc: stable` fixes, `Fixes:`-only fixes, untagged fixes with NULL checks / error labels, merges and ordinary
 * changes, all on files every stable branch has. Prints one JSON line: { dir, since, upstreamAdded }.
 * argv: <dir> <pad> <new-commits>
 */
import { buildMirror } from '../../fixtures/mirror/build.ts';
import { Git } from '../../app/git/git.ts';

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** current content of every file under `prefixes` at `rev`, in one `git cat-file --batch` */
export async function readFiles(git: Git, rev: string, filter: (p: string) => boolean): Promise<Map<string, string>> {
  const paths = (await git.out(['ls-tree', '-r', '--name-only', rev])).split('\n').filter((p) => p && filter(p));
  const raw = await git.out(['cat-file', '--batch'], { input: paths.map((p) => `${rev}:${p}`).join('\n') + '\n' });
  const out = new Map<string, string>();
  let pos = 0;
  for (const p of paths) {
    const nl = raw.indexOf('\n', pos);
    const size = Number(raw.slice(pos, nl).split(' ')[2]);
    out.set(p, raw.slice(nl + 1, nl + 1 + size));
    pos = nl + 1 + size + 1;
  }
  return out;
}

const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}`;

export async function addUpstreamCommits(git: Git, n: number): Promise<string> {
  const since = await git.resolveCommit('master');
  const files = await readFiles(git, since, (p) => /^(drivers|fs|net|sound|kernel|crypto|arch|security)\/.*_[a-z0-9]+\.c$/.test(p));
  const paths = [...files.keys()];
  if (!paths.length) throw new Error('bench: the mirror has no padding files (pad must be > 0)');
  const older = (await git.out(['rev-list', '--max-count=4000', '--no-merges', since])).split('\n').filter(Boolean);
  const rand = prng(0xbe7c4);
  const out: string[] = [];
  let t = 1780000000;
  let mark = 0;
  // fast-import starts a branch it has not written yet from nothing: the first commit must name its parent, and a
  // topic branch forks from the master being built (its last mark), not from the ref on disk
  let masterTip: string = since;
  for (let i = 0; i < n; i++) {
    const path = paths[Math.floor(rand() * paths.length)];
    const name = path.split('/').pop()!.replace(/\.c$/, '');
    const area = path.split('/').slice(0, 2).join('/');
    let content = files.get(path)!;
    const kind = rand();
    const trailers: string[] = [];
    let subject: string;
    let body: string;
    if (kind < 0.15) {
      // untagged fix: a NULL check and an error label appended after old code
      subject = `${area}: ${name}: fix NULL pointer dereference in ${name}_check_${i}`;
      body = `A NULL buffer crashes the probe path when the device is removed early.`;
      content += `\nstatic int ${name}_check_${i}(void *p)\n{\n\tif (!p)\n\t\tgoto out_${i};\n\treturn 0;\nout_${i}:\n\treturn -EINVAL;\n}\n`;
      if (rand() < 0.5) trailers.push('Reviewed-by: Bench Reviewer <review@example.org>');
    } else {
      const define = /^#define (\S+) (\d+)$/m.exec(content);
      subject = `${area}: ${name}: tune ${define?.[1] ?? 'budget'} (${i})`;
      body = 'Current hardware wants a different default.';
      content = define ? content.replace(define[0], `#define ${define[1]} ${Number(define[2]) + 1}`) : content + `/* ${i} */\n`;
      if (kind < 0.25) trailers.push(`Fixes: ${older[Math.floor(rand() * older.length)].slice(0, 12)} ("earlier change")`, 'Cc: stable@vger.kernel.org');
      else if (kind < 0.3) trailers.push(`Fixes: ${older[Math.floor(rand() * older.length)].slice(0, 12)} ("earlier change")`);
      else if (kind < 0.33) trailers.push('Cc: stable@vger.kernel.org # 6.17+');
    }
    files.set(path, content);
    trailers.push('Signed-off-by: Bench Author <bench@example.org>');
    const message = `${subject}\n\n${body}\n\n${trailers.join('\n')}\n`;
    t += 60;
    if (i % 100 === 99) {
      // a topic branch merged back: one side commit and a merge
      out.push(`commit refs/heads/bench-side\nmark :${++mark}\ncommitter Bench Author <bench@example.org> ${t} +0000\n${data(message)}from ${masterTip}\nM 100644 inline ${path}\n${data(content)}`);
      const side = mark;
      out.push(`commit refs/heads/master\nmark :${++mark}\ncommitter Bench Maintainer <maint@example.org> ${t + 1} +0000\n${data(`Merge branch 'bench-side-${i}'\n`)}from ${masterTip}\nmerge :${side}\nM 100644 inline ${path}\n${data(content)}`);
    } else {
      out.push(`commit refs/heads/master\nmark :${++mark}\ncommitter Bench Author <bench@example.org> ${t} +0000\n${data(message)}from ${masterTip}\nM 100644 inline ${path}\n${data(content)}`);
    }
    masterTip = `:${mark}`;
  }
  await git.run(['fast-import', '--quiet', '--done'], { input: out.join('\n') + '\ndone\n' });
  await git.run(['update-ref', '-d', 'refs/heads/bench-side'], { allowFail: true });
  return since;
}

/** `count` backports of upstream commits after `since` onto `branch`, each with a reference line. */
export async function addBackports(git: Git, branch: string, since: string, count: number): Promise<void> {
  const ups = (await git.out(['rev-list', '--reverse', '--no-merges', `--max-count=${count}`, 'master', `^${since}`])).split('\n').filter(Boolean);
  const files = await readFiles(git, branch, (p) => /^(drivers|fs|net|sound|kernel|crypto|arch|security)\/.*_[a-z0-9]+\.c$/.test(p));
  const paths = [...files.keys()];
  const out: string[] = [];
  let t = 1790000000;
  let first = true;
  ups.forEach((sha, i) => {
    const path = paths[i % paths.length];
    const content = files.get(path)! + `/* backport ${i} */\n`;
    files.set(path, content);
    const message = `stable backport ${i}\n\n[ Upstream commit ${sha} ]\n\nSigned-off-by: Stable Maintainer <stable@example.org>\n`;
    const from = first ? `from refs/heads/${branch}^0\n` : '';
    first = false;
    out.push(`commit refs/heads/${branch}\ncommitter Stable Maintainer <stable@example.org> ${t++} +0000\n${data(message)}${from}M 100644 inline ${path}\n${data(content)}`);
  });
  await git.run(['fast-import', '--quiet', '--done'], { input: out.join('\n') + '\ndone\n' });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [dir, pad, n] = process.argv.slice(2);
  const t0 = performance.now();
  const info = await buildMirror(dir, { pad: Number(pad) });
  const t1 = performance.now();
  const git = new Git(info.dir);
  const since = await addUpstreamCommits(git, Number(n));
  // what `git gc` / `git maintenance` leave in a kept mirror: generation numbers and changed-path filters, which
  // ancestry tests and `blame -L` walks rely on
  await git.run(['commit-graph', 'write', '--reachable', '--changed-paths']);
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ dir: info.dir, since, mirrorMs: Math.round(t1 - t0), upstreamMs: Math.round(t2 - t1) }) + '\n');
}
