import { describe, expect, it } from 'vitest';
import { portPatch } from '../../app/apply/engine.ts';
import { lineSimilarity } from '../../app/rules/removed-definition.ts';
import { edit, upstream, treesPerTest } from '../apply/fixture.ts';

/* A radio driver's frame builder, written for these tests: upstream drops the per-frame info setup it moved. */
const DRV = 'drivers/radio/frame.c';
const frame = (setup: string) => `// SPDX-License-Identifier: GPL-2.0
#include <linux/radio.h>

static struct frame *radio_build(struct radio *r, struct sk_buff *skb, u32 flags, u16 id)
{
	struct frame_info *info;

	skb_reset_mac_header(skb);

${setup}	if (likely(!r->cookie)) {
		r->ctrl |= RADIO_CTRL_LINK;
		r->queued++;
	}
	return frame_of(skb);
}
`;
const UP_SETUP = `	info = FRAME_CB(skb);
	memset(info, 0, sizeof(*info));

	info->flags = flags;
	if (id) {
		info->status_data = id;
		info->status_data_idr = 1;
	}
	info->band = r->band;

`;
const tree = treesPerTest({ 'include/linux/radio.h': 'struct frame_info { u32 flags; u16 status_data, status_data_idr, ack_frame_id; int band; };\n' });
const removal = () => upstream(DRV, frame(UP_SETUP), frame(''), 'static struct frame *radio_build(struct radio *r, struct sk_buff *skb, u32 flags, u16 id)');

describe('drifted-removal: upstream removes a run of lines that reads a little differently on the branch', () => {
  it("removes the branch's run and names the lines that differed", async () => {
    const branch = `	info = FRAME_CB(skb);
	memset(info, 0, sizeof(*info));

	info->flags = flags;
	info->ack_frame_id = id;
	info->band = r->band;

`;
    const r = await portPatch(removal(), tree({ [DRV]: frame(branch) }));
    expect(r.outcome).toBe('adapted');
    expect(r.files[0].content).toBe(frame(''));
    expect(r.adaptations[0]).toMatchObject({ rule: 'drifted-removal', params: { differing: '1', targetLines: '7', upstreamLines: '10' } });
    expect(r.adaptations[0].note).toBe("Adjust removal: 1 of the lines upstream removes read differently on this branch (`info->ack_frame_id = id;`); this branch's versions are removed");
  });

  it("refuses when the branch's run has a line of its own among them", async () => {
    const branch = edit(UP_SETUP, '\tinfo->band = r->band;\n', '\tinfo->band = r->band;\n\tradio_account(r, skb->len);\n');
    const r = await portPatch(removal(), tree({ [DRV]: frame(edit(branch, '\t\tinfo->status_data_idr = 1;\n', '')) }));
    expect(r.outcome).toBe('refused');
    expect(r.adaptations).toEqual([]);
  });

  it('needs the context on both sides and something to remove there', async () => {
    // nothing between the contexts: the code is not there (the branch never had it)
    expect((await portPatch(removal(), tree({ [DRV]: frame('') }))).outcome).toBe('refused');
    // most of upstream's lines must be there as they are
    const rewritten = '\tinfo = frame_info_of(skb, RADIO_ZERO);\n\tinfo->band = radio_band(r);\n\n';
    expect((await portPatch(removal(), tree({ [DRV]: frame(rewritten) }))).outcome).toBe('refused');
  });

  it('measures line likeness on tokens', () => {
    expect(lineSimilarity('info->status_data = id;', 'info->ack_frame_id = id;')).toBeGreaterThan(0.5);
    expect(lineSimilarity('info->status_data = id;', 'info->status_data = id;')).toBe(1);
    expect(lineSimilarity('radio_account(r, skb->len);', 'info->status_data = id;')).toBeLessThan(0.5);
  });
});
