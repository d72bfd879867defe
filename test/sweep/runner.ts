/**
 * Child process for the crash test: runs one sweep against a given store file and prints one line per decision,
 * sleeping a little after each so the parent can SIGKILL it in the middle of the range.
 * argv: <repo> <store.sqlite> <since> <mbox> <delay-ms>
 */
import { SqliteStore } from '../../app/store/sqlite.ts';
import { runSweep } from '../../app/sweep/run.ts';

const [repo, storePath, since, mbox, delay] = process.argv.slice(2);
const store = new SqliteStore(storePath);
const pause = new Int32Array(new SharedArrayBuffer(4));
const result = await runSweep({
  repoDir: repo,
  since,
  mboxFiles: [mbox],
  store,
  onProgress: (p) => {
    process.stdout.write(`decided ${p.done}/${p.total} ${p.sha}\n`);
    Atomics.wait(pause, 0, 0, Number(delay));
  },
});
process.stdout.write(`finished ${result.candidates.length} resumed=${result.resumed}\n`);
store.close();
