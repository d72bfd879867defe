/** Kernel version strings: "6.9" < "6.10"; stable branch names "linux-6.18.y"; tags "v6.18", "v6.18.3", "v6.19-rc2". */

export function parseVersion(v: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), m[3] === undefined ? -1 : Number(m[3])];
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a) ?? [0, 0, 0];
  const y = parseVersion(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** "linux-6.18.y" -> "6.18"; null when the name does not follow the stable convention. */
export function seriesOfBranch(branch: string): string | null {
  const m = /(?:^|\/)linux-(\d+\.\d+)\.y$/.exec(branch);
  return m ? m[1] : null;
}

/** Mainline release tags only: v6.17 (not v6.17.3, not v6.17-rc1). */
export function isMainlineRelease(tag: string): boolean {
  return /^v\d+\.\d+$/.test(tag);
}
