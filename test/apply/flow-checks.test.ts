import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { WIDGET_H, edit, upstream, treesPerTest } from './fixture.ts';

const FILE = 'drivers/gadget/queue.c';
const HDR = 'include/linux/widget.h';
const tree = treesPerTest({ [HDR]: WIDGET_H });

/** a function that takes a lock and leaves through `goto out_unlock` on every error */
const GOTO_STYLE = `// SPDX-License-Identifier: GPL-2.0
#include <linux/widget.h>

static int gadget_queue_push(struct gadget_queue *q, struct gadget_req *req)
{
	int ret = 0;

	mutex_lock(&q->lock);
	if (!q->enabled) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}

	list_add_tail(&req->node, &q->pending);
	q->depth++;

out_unlock:
	mutex_unlock(&q->lock);
	return ret;
}
`;

describe('return-skips-cleanup', () => {
  const check = '\tif (req->len > q->max_len)\n\t\treturn -EINVAL;\n\n';
  const after = edit(GOTO_STYLE, '\tlist_add_tail(', `${check}\tlist_add_tail(`);

  it('refuses an added return that skips the unlock earlier exits go through', async () => {
    const r = await portPatch(upstream(FILE, GOTO_STYLE, after), tree({ [FILE]: GOTO_STYLE }), { strictIdentifiers: false });
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.check).toBe('return-skips-cleanup');
    expect(r.refusal?.reason).toContain('out_unlock');
  });

  it('accepts the same return when the label only returns (nothing to release)', async () => {
    const noCleanup = GOTO_STYLE.replace('\tmutex_lock(&q->lock);\n', '').replace('out_unlock:\n\tmutex_unlock(&q->lock);\n', 'out_unlock:\n');
    const up = edit(noCleanup, '\tlist_add_tail(', `${check}\tlist_add_tail(`);
    const r = await portPatch(upstream(FILE, noCleanup, up), tree({ [FILE]: noCleanup }), { strictIdentifiers: false });
    expect(r.outcome).toBe('clean');
  });

  it('accepts an added exit that goes through the label itself', async () => {
    const viaLabel = edit(GOTO_STYLE, '\tlist_add_tail(', '\tif (req->len > q->max_len) {\n\t\tret = -EINVAL;\n\t\tgoto out_unlock;\n\t}\n\n\tlist_add_tail(');
    const r = await portPatch(upstream(FILE, GOTO_STYLE, viaLabel), tree({ [FILE]: GOTO_STYLE }), { strictIdentifiers: false });
    expect(r.outcome).toBe('clean');
  });
});

describe('lock-balance', () => {
  it('refuses a hunk that drops the unlock while the function still takes the lock (upstream moved to guard())', async () => {
    // upstream's hunk (one of several of its change) removes the unlock at the label; the lock stays on the target
    const after = GOTO_STYLE.replace('out_unlock:\n\tmutex_unlock(&q->lock);\n\treturn ret;', 'out_unlock:\n\treturn ret;');
    const r = await portPatch(upstream(FILE, GOTO_STYLE, after), tree({ [FILE]: GOTO_STYLE }), { strictIdentifiers: false });
    expect(r.refusal?.check).toBe('lock-balance');
    expect(r.refusal?.reason).toContain('q->lock');
  });

  it('with upstream\'s tree: the same hunk leaves upstream\'s function unbalanced too, so another hunk of the change restores it', async () => {
    const after = GOTO_STYLE.replace('out_unlock:\n\tmutex_unlock(&q->lock);\n\treturn ret;', 'out_unlock:\n\treturn ret;');
    const r = await portPatch(upstream(FILE, GOTO_STYLE, after), tree({ [FILE]: GOTO_STYLE }), { strictIdentifiers: false, upstreamTree: tree({ [FILE]: GOTO_STYLE }) });
    expect(r.outcome).toBe('clean');
  });

  it('accepts a hunk that converts both sides to a scoped guard', async () => {
    const after = GOTO_STYLE.replace('\tmutex_lock(&q->lock);\n', '\tguard(mutex)(&q->lock);\n').replace('\tmutex_unlock(&q->lock);\n', '');
    const r = await portPatch(upstream(FILE, GOTO_STYLE, after), tree({ [FILE]: GOTO_STYLE }), { strictIdentifiers: false });
    expect(r.outcome).toBe('clean');
  });

  it('accepts a hunk that adds a balanced lock and unlock around new code', async () => {
    const after = edit(GOTO_STYLE, '\tq->depth++;\n', '\tq->depth++;\n\tspin_lock(&q->stats_lock);\n\tq->pushed++;\n\tspin_unlock(&q->stats_lock);\n');
    const r = await portPatch(upstream(FILE, GOTO_STYLE, after), tree({ [FILE]: GOTO_STYLE }), { strictIdentifiers: false });
    expect(r.outcome).toBe('clean');
  });
});

describe('struct-member through a chain of members', () => {
  const H = 'include/linux/gadget.h';
  const header = (opsMembers: string) => `#pragma once\nstruct gadget_ops {\n${opsMembers}};\n\nstruct gadget_port {\n\tstruct gadget_ops *ops;\n\tint id;\n};\n`;
  const src = `#include <linux/gadget.h>\n\nstatic int gadget_port_start(struct gadget_port *port)\n{\n\tint ret = 0;\n\n\tport->id = 1;\n\treturn ret;\n}\n`;
  const after = edit(src, '\tport->id = 1;\n', '\tport->id = 1;\n\tif (port->ops->setup)\n\t\tret = port->ops->setup(port);\n');

  it('refuses `a->b->c` when the struct b points to lacks c on the target', async () => {
    const r = await portPatch(upstream(FILE, src, after), tree({ [FILE]: src, [H]: header('\tint (*start)(struct gadget_port *port);\n') }), { strictIdentifiers: false });
    expect(r.refusal?.check).toBe('struct-member');
    expect(r.refusal?.reason).toContain('port->ops->setup');
  });

  it('accepts it when that struct has the member', async () => {
    const r = await portPatch(upstream(FILE, src, after), tree({ [FILE]: src, [H]: header('\tint (*setup)(struct gadget_port *port);\n') }), { strictIdentifiers: false });
    expect(r.outcome).toBe('clean');
  });
});
