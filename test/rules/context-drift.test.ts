/**
 * Context that drifted on the older branch while upstream's +/- lines still fit (the aligned-context rule), and
 * repeated context told apart by the macro block the @@ section names (reduced-context). Every placement test has
 * a twin where the drift matters to the change and the engine must refuse.
 */
import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { edit, upstream, treesPerTest } from '../apply/fixture.ts';

const tree = treesPerTest();

const QUIRKS = 'drivers/gizmo/quirks.c';

/** a file-scope id table, kernel style; `entries` are [vendor, product, name] */
function quirkTable(entries: [string, string, string][]): string {
  const body = entries.map(([v, p, n]) => `\tGIZMO_QUIRK(${v}, ${p}, /* ${n} */\n\t\t    GIZMO_FLAG_NO_RESET),\n`).join('');
  return `// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include "gizmo.h"

static const struct gizmo_quirk gizmo_quirks[] = {
${body}\t{ }
};

static int gizmo_match(u16 vendor)
{
\treturn gizmo_find(gizmo_quirks, vendor) != NULL;
}
`;
}

describe('aligned context: a table entry next to the change differs', () => {
  it.each([
    ['0x2233', 'Acme'],
    ['0x2a11', 'Initech'],
  ])('inserts upstream entry %s after the matching neighbour and names the drift', async (vendor, name) => {
    const base: [string, string, string][] = [
      ['0x1001', '0x0001', 'Old Corp'],
      ['0x2000', '0x0002', 'Zeta devices'],
      ['0x2100', '0x0003', 'Omega devices'],
      ['0x3000', '0x0004', 'Late devices'],
    ];
    const before = quirkTable(base);
    const after = quirkTable([...base.slice(0, 2), [vendor, '0x0009', name], ...base.slice(2)]);
    // the target never got the entry right after the insertion point
    const target = quirkTable([base[0], base[1], base[3]]);
    const r = await portPatch(upstream(QUIRKS, before, after, 'static const struct gizmo_quirk gizmo_quirks[] = {'), tree({ [QUIRKS]: target }));
    expect(r.outcome).toBe('adapted');
    expect(r.adaptations.map((a) => a.rule)).toEqual(['aligned-context']);
    expect(r.adaptations[0].note).toMatch(/^Adjust context: 2 context line/);
    expect(r.adaptations[0].note).toContain('Omega devices');
    expect(r.files[0].content).toBe(quirkTable([base[0], base[1], [vendor, '0x0009', name], base[3]]));
  });
});

const SCHED = 'drivers/gpu/gizmo/gizmo_sched.c';

/** a job-run function; `decl` is its second local declaration line */
function runJob(decl: string, check: string): string {
  return `// SPDX-License-Identifier: GPL-2.0
#include "gizmo_drv.h"

static struct dma_fence *
gizmo_job_run(struct drm_sched_job *sched_job)
{
\tstruct gizmo_job *job = to_gizmo_job(sched_job);
\tstruct gizmo_dev *gdev = job->gdev;
\tstruct dma_fence *fence;
${decl}

${check}
\tgizmo_write(gdev, GIZMO_CFG0, job->cfg[0]);
\tgizmo_write(gdev, GIZMO_CFG1, job->cfg[1]);
\tgizmo_write(gdev, GIZMO_CFG2, job->cfg[2]);
\tfence = gizmo_fence_create(gdev);
\treturn fence;

out_clean_job:
\tgizmo_job_cleanup(job);
\treturn NULL;
}
`;
}

const OLD_CHECK = '\tif (unlikely(job->aborted)) {\n\t\tgdev->active_job = NULL;\n\t\treturn NULL;\n\t}';
const NEW_CHECK = '\tif (unlikely(job->aborted))\n\t\tgoto out_clean_job;';

describe('aligned context: a local declaration between two changes differs', () => {
  it.each(['cfg_reg', 'slot'])('applies both changes when upstream declares `%s` the target lacks and the change does not use it', async (extra) => {
    const before = runJob(`\tint i, ${extra};`, OLD_CHECK);
    const after = edit(runJob(`\tint i, ${extra};`, NEW_CHECK), '\tstruct dma_fence *fence;', '\tstruct dma_fence *fence = NULL;');
    const target = runJob('\tint i;', OLD_CHECK);
    const r = await portPatch(upstream(SCHED, before, after, 'gizmo_job_run(struct drm_sched_job *sched_job)'), tree({ [SCHED]: target }));
    expect(r.outcome).toBe('adapted');
    expect(r.adaptations.map((a) => a.rule)).toEqual(['aligned-context']);
    expect(r.adaptations[0].note).toContain(`int i, ${extra};`);
    expect(r.files[0].content).toBe(edit(runJob('\tint i;', NEW_CHECK), '\tstruct dma_fence *fence;', '\tstruct dma_fence *fence = NULL;'));
  });

  it.each(['cfg_reg', 'slot'])('refuses when the added lines use `%s`, which only upstream\'s drifted line declares', async (extra) => {
    const before = runJob(`\tint i, ${extra};`, OLD_CHECK);
    const after = edit(runJob(`\tint i, ${extra};`, `\tif (unlikely(job->aborted))\n\t\tgoto out_clean_job;\n\t${extra} = gizmo_slot(job);`), '\tstruct dma_fence *fence;', '\tstruct dma_fence *fence = NULL;');
    const target = runJob('\tint i;', OLD_CHECK);
    const r = await portPatch(upstream(SCHED, before, after, 'gizmo_job_run(struct drm_sched_job *sched_job)'), tree({ [SCHED]: target }));
    expect(r.outcome).toBe('refused');
    // no rule found a place it could defend (not a later safety check)
    expect(r.refusal?.check).toBe('context-mismatch');
  });
});

const LINK = 'net/gizmo/link.c';

/** a teardown function whose body is `body` */
function teardown(body: string): string {
  return `// SPDX-License-Identifier: GPL-2.0
#include "link.h"

static void gizmo_link_down(struct gizmo_link *link)
{
\tstruct gizmo_port *port = link->port;

\tspin_lock(&port->lock);
${body}\tspin_unlock(&port->lock);

\tgizmo_notify(port, GIZMO_LINK_DOWN);
\tgizmo_stats_reset(&port->stats);
}
`;
}

describe('aligned context: drift that is code, not data, next to the change is refused', () => {
  it.each(['gizmo_flush_queue', 'gizmo_drain_rx'])('refuses when the statement `%s()` right after the change is missing on the target', async (call) => {
    const before = teardown(`\tport->state = GIZMO_DOWN;\n\t${call}(port);\n`);
    const after = teardown(`\tWRITE_ONCE(port->state, GIZMO_DOWN);\n\t${call}(port);\n`);
    const target = teardown('\tport->state = GIZMO_DOWN;\n');
    const r = await portPatch(upstream(LINK, before, after, 'static void gizmo_link_down(struct gizmo_link *link)'), tree({ [LINK]: target }));
    expect(r.outcome).toBe('refused');
    // no rule found a place it could defend (not a later safety check)
    expect(r.refusal?.check).toBe('context-mismatch');
  });

  it.each(['port->flags = 0;', 'port->retries = 0;'])('refuses an insertion where the target has `%s` upstream lacks between the matching neighbours', async (extra) => {
    const before = teardown('\tport->state = GIZMO_DOWN;\n');
    const after = teardown('\tport->state = GIZMO_DOWN;\n\tport->speed = 0;\n');
    // the target has a line right where upstream inserts: before or after it is a guess (and often the change itself)
    const target = edit(teardown('\tport->state = GIZMO_DOWN;\n'), '\tport->state = GIZMO_DOWN;\n', `\tport->state = GIZMO_DOWN;\n\t${extra}\n`);
    const patch = upstream(LINK, before, after, 'static void gizmo_link_down(struct gizmo_link *link)');
    // make the trailing context differ too, so no exact/relocated/outer-drop placement applies
    const drifted = edit(target, '\tgizmo_notify(port, GIZMO_LINK_DOWN);', '\tgizmo_notify_all(port);');
    const r = await portPatch(patch, tree({ [LINK]: drifted }));
    expect(r.outcome).toBe('refused');
    // no rule found a place it could defend (not a later safety check)
    expect(r.refusal?.check).toBe('context-mismatch');
  });
});

const TRACE = 'fs/gizmofs/trace.h';

/** two trace events with the same field block; the newer branch made the first one conditional */
function traceHeader(first: string, second: string, conditional: boolean): string {
  const event = (name: string, cond: boolean) => `${cond ? 'TRACE_EVENT_CONDITION' : 'TRACE_EVENT'}(${name},
\tTP_PROTO(const struct gizmo_req *req),
\tTP_ARGS(req),
${cond ? '\tTP_CONDITION(req != NULL),\n' : ''}\tTP_STRUCT__entry(
\t\t__field(unsigned int, netns_ino)
\t\t__field(u32, local_len)
\t\t__field(u32, remote_len)
\t\t__field(u32, xid)
\t),
\tTP_fast_assign(
\t\t__entry->xid = req->xid;
\t),
\tTP_printk("xid=0x%08x", __entry->xid)
);
`;
  return `/* SPDX-License-Identifier: GPL-2.0 */\n#include <linux/tracepoint.h>\n\n${event(first, conditional)}\n${event(second, false)}`;
}

describe('repeated context is told apart by the macro block the section names', () => {
  it.each([
    ['gizmo_req_verify', 'gizmo_req_verify_err'],
    ['gizmo_op_start', 'gizmo_op_start_done'],
  ])('places the change in %s although the block is TRACE_EVENT on the target', async (first, second) => {
    const up = traceHeader(first, second, true);
    const fixed = edit(up, '\t\t__field(u32, local_len)', '\t\t__field(unsigned int, local_len)');
    const target = traceHeader(first, second, false);
    const r = await portPatch(upstream(TRACE, up, fixed, `TRACE_EVENT_CONDITION(${first},`), tree({ [TRACE]: target }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toBe(edit(target, '\t\t__field(u32, local_len)', '\t\t__field(unsigned int, local_len)'));
  });

  it('still refuses when the section names neither block', async () => {
    const up = traceHeader('gizmo_a', 'gizmo_b', true);
    const fixed = edit(up, '\t\t__field(u32, local_len)', '\t\t__field(unsigned int, local_len)');
    const r = await portPatch(upstream(TRACE, up, fixed, 'TRACE_EVENT_CONDITION(gizmo_c,'), tree({ [TRACE]: traceHeader('gizmo_a', 'gizmo_b', false) }));
    expect(r.refusal?.check).toBe('ambiguous-anchor');
  });
});
