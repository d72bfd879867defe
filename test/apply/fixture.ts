/**
 * Small C-like trees for engine tests, written for these tests (shaped like driver code, not copied from any
 * kernel). Upstream patches are made by diffing a "before" and "after" text, so line numbers are always right.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { afterEach } from 'vitest';
import { parseUnifiedDiff } from '../../app/apply/parse.ts';
import { DirTree } from '../../app/apply/tree-dir.ts';
import type { FilePatch } from '../../app/core/patch.ts';

export const WIDGET_H = `/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_WIDGET_H
#define _LINUX_WIDGET_H

#define WIDGET_TO_DEVICE	1

struct widget_dev {
	struct device *dev;
	void *buf;
	unsigned int count;
	u32 state;
};

int widget_map(struct device *dev, void *buf, unsigned int len, int dir, unsigned long attrs);
void widget_unmap(struct device *dev, void *buf, int dir);
int widget_sync(struct device *dev, unsigned int len, unsigned long attrs);
int widget_reset(struct widget_dev *wd);
#define from_timer(var, t, field) container_of(t, typeof(*var), field)

#endif
`;

/** the target's driver: passes 0 where upstream later passes `attrs` */
export const CORE_C = `// SPDX-License-Identifier: GPL-2.0
#include <linux/widget.h>

static int widget_setup(struct widget_dev *wd, unsigned int count)
{
	int err;

	err = widget_map(wd->dev, wd->buf, count, WIDGET_TO_DEVICE, 0);
	if (err)
		return err;

	wd->count = count;
	return 0;
}

static void widget_teardown(struct widget_dev *wd)
{
	widget_unmap(wd->dev, wd->buf, WIDGET_TO_DEVICE);
	wd->count = 0;
}
`;

export interface Fixture {
  dir: string;
  tree: DirTree;
  cleanup(): void;
}

/**
 * A tree maker for one test file: each call writes a fresh tree (`base` files first, then `files`), and every tree
 * is removed after the test that made it. Call it once at module level.
 */
export function treesPerTest(base: Record<string, string> = {}): (files: Record<string, string>, opts?: { wordIndex?: boolean }) => DirTree {
  const made: Fixture[] = [];
  afterEach(() => {
    while (made.length) made.pop()!.cleanup();
  });
  return (files, opts = {}) => {
    const fx = makeTree({ ...base, ...files }, opts);
    made.push(fx);
    return fx.tree;
  };
}

export function makeTree(files: Record<string, string>, opts: { wordIndex?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'stablebot-apply-'));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return { dir, tree: new DirTree(dir, opts), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function diffText(path: string, before: string, after: string, section = ''): string {
  const text = createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, '', '', { context: 3 });
  const lines = text.split('\n').filter((l) => !l.startsWith('====') && !l.startsWith('Index:'));
  const out = lines.map((l) => (l.startsWith('@@') && section ? `${l} ${section}` : l));
  return out
    .map((l) => (l.startsWith('--- ') || l.startsWith('+++ ') ? l.replace(/\t.*$/, '') : l))
    .join('\n');
}

/** upstream's patch: `before` -> `after` for one file */
export function upstream(path: string, before: string, after: string, section = ''): FilePatch[] {
  return parseUnifiedDiff(diffText(path, before, after, section));
}

/** `text` with `from` replaced once (throws when absent: fixtures must say what they mean) */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture edit: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}
