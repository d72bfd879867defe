import { describe, expect, it } from 'vitest';
import { parseUnifiedDiff } from '../../app/apply/parse.ts';
import { callersInFile, functionDefinedBy, proposeInjectTargets } from '../../app/verify/inject-target.ts';

// Diffs written for these tests, shaped like kernel fixes (not taken from the kernel).
const loopFix = `diff --git a/drivers/foo/ring.c b/drivers/foo/ring.c
--- a/drivers/foo/ring.c
+++ b/drivers/foo/ring.c
@@ -210 @@ static int foo_ring_map_segments(struct foo_ring *ring, struct foo_req *req,
 	unsigned int done = 0;
 	int ret;
 
 	for (i = 0; i < req->nr_segs; i++) {
 		ret = foo_iommu_map_chunk(ring->dev, ring->domain, done,
 				req->segs[i].phys, req->segs[i].len);
 		if (ret)
-			break;
+			goto out_undo;
 		done += req->segs[i].len;
 	}
 	req->mapped = done;
 	return 0;
+
+out_undo:
+	foo_iommu_unmap_range(ring->domain, 0, done);
+	return ret;
 }
`;

const pointerFix = `diff --git a/net/bar/pool.c b/net/bar/pool.c
--- a/net/bar/pool.c
+++ b/net/bar/pool.c
@@ -88 @@ int bar_pool_refill(struct bar_pool *pool, gfp_t gfp)
 	struct bar_buf *buf;
 
 	buf = bar_buf_alloc(pool->cache, gfp);
-	if (!buf)
+	if (!buf) {
+		bar_pool_unlock(pool);
 		return -ENOMEM;
+	}
 	list_add(&buf->node, &pool->free);
 	return 0;
 }
`;

const errPtrFix = `diff --git a/drivers/clk/qux.c b/drivers/clk/qux.c
--- a/drivers/clk/qux.c
+++ b/drivers/clk/qux.c
@@ -40 @@ static int qux_probe(struct platform_device *pdev)
 	bus = devm_clk_get(&pdev->dev, "bus");
-	if (IS_ERR(bus))
-		return PTR_ERR(bus);
+	if (IS_ERR(bus)) {
+		qux_power_off(priv);
+		return PTR_ERR(bus);
+	}
 	return 0;
 }
`;

const dmaFix = `diff --git a/drivers/net/baz/tx.c b/drivers/net/baz/tx.c
--- a/drivers/net/baz/tx.c
+++ b/drivers/net/baz/tx.c
@@ -300 @@ static netdev_tx_t baz_xmit(struct sk_buff *skb, struct net_device *nd)
 	addr = dma_map_single(priv->dev, skb->data, skb->len, DMA_TO_DEVICE);
-	if (dma_mapping_error(priv->dev, addr))
+	if (dma_mapping_error(priv->dev, addr)) {
+		dev_kfree_skb_any(skb);
 		return NETDEV_TX_OK;
+	}
 	baz_ring_post(priv, addr, skb->len);
`;

// the changed function starts inside the hunk: the @@ section names the previous one
const newFunctionInHunk = `diff --git a/fs/wib/io.c b/fs/wib/io.c
--- a/fs/wib/io.c
+++ b/fs/wib/io.c
@@ -10 @@ static void wib_other(void)
 }
 
 static int wib_submit(struct wib *w)
 {
-	if (wib_queue_io(w, WIB_WRITE))
-		return -EIO;
+	if (wib_queue_io(w, WIB_WRITE)) {
+		wib_release(w);
+		return -EIO;
+	}
 	return 0;
 }
`;

const refactorOnly = `diff --git a/lib/plain.c b/lib/plain.c
--- a/lib/plain.c
+++ b/lib/plain.c
@@ -5 @@ static int plain_sum(int a, int b)
 {
-	return a+b;
+	return a + b;
 }
diff --git a/include/linux/plain.h b/include/linux/plain.h
--- a/include/linux/plain.h
+++ b/include/linux/plain.h
@@ -1 @@
-int plain_sum(int a,int b);
+int plain_sum(int a, int b);
`;

/** Fills in the hunk line counts (`@@ -N @@` → `@@ -N,old +N,new @@`) so the fixtures stay easy to edit. */
function diff(text: string) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^@@ -(\d+) @@(.*)$/.exec(lines[i]);
    if (!m) continue;
    let old = 0;
    let nu = 0;
    for (let j = i + 1; j < lines.length && !/^(@@|diff --git)/.test(lines[j]); j++) {
      const op = lines[j][0];
      if (op === ' ' || op === '-') old++;
      if (op === ' ' || op === '+') nu++;
    }
    lines[i] = `@@ -${m[1]},${old} +${m[1]},${nu} @@${m[2]}`;
  }
  return parseUnifiedDiff(lines.join('\n'));
}

describe('proposeInjectTargets', () => {
  it('a loop whose error exit gained a cleanup: fail the callee on later iterations (running offset argument)', () => {
    const t = proposeInjectTargets(diff(loopFix));
    expect(t.proposals).toHaveLength(1);
    const p = t.proposals[0];
    expect(p.inject).toMatchObject({ function: 'foo_iommu_map_chunk', retval: -12, filter: { arg: 3, min: 1 } });
    expect(p.inFunction).toBe('foo_ring_map_segments');
    expect(p.file).toBe('drivers/foo/ring.c');
    expect(t.proofProbes[0]).toBe('foo_ring_map_segments');
  });

  it('`if (!p)` after an allocation: the allocator returns NULL', () => {
    const t = proposeInjectTargets(diff(pointerFix));
    expect(t.proposals.map((p) => [p.inject.function, p.inject.retval, p.inject.filter])).toEqual([['bar_buf_alloc', 0, undefined]]);
    expect(t.proofProbes).toEqual(['bar_pool_refill']);
  });

  it('IS_ERR(x): the function that produced x returns ERR_PTR(-ENOMEM)', () => {
    const [p] = proposeInjectTargets(diff(errPtrFix)).proposals;
    expect(p.inject).toMatchObject({ function: 'devm_clk_get', retval: -12 });
    expect(p.inject.filter).toBeUndefined();
    expect(p.inFunction).toBe('qux_probe');
  });

  it('dma_mapping_error(dev, addr): the mapping call returns DMA_MAPPING_ERROR', () => {
    const [p] = proposeInjectTargets(diff(dmaFix)).proposals;
    expect(p.inject).toMatchObject({ function: 'dma_map_single', retval: -1 });
    expect(p.inFunction).toBe('baz_xmit');
  });

  it('a call tested directly in the if; the enclosing function is the one defined inside the hunk', () => {
    const t = proposeInjectTargets(diff(newFunctionInHunk));
    expect(t.proposals[0].inject.function).toBe('wib_queue_io');
    expect(t.proposals[0].inFunction).toBe('wib_submit');
    expect(t.proofProbes).toEqual(['wib_submit']);
  });

  it('no error handling changed, headers ignored: nothing to inject', () => {
    const t = proposeInjectTargets(diff(refactorOnly));
    expect(t.proposals).toEqual([]);
    expect(t.proofProbes).toEqual(['plain_sum']);
  });

  it('the loop call and a second checked call are both proposed, in diff order, without duplicates', () => {
    const two = loopFix.replace(
      '\treq->mapped = done;\n \treturn 0;',
      '\treq->mapped = done;\n \tret = foo_iommu_flush(ring->domain, 0, done);\n-\tif (ret)\n-\t\treturn ret;\n+\tif (ret)\n+\t\tgoto out_undo;\n \treturn 0;',
    );
    const t = proposeInjectTargets(diff(two));
    expect(t.proposals.map((p) => p.inject.function)).toEqual(['foo_iommu_map_chunk', 'foo_iommu_flush']);
    // the flush call comes after the accumulation: no partial-progress filter for it
    expect(t.proposals[1].inject.filter).toBeUndefined();
  });
});

describe('functionDefinedBy / callersInFile', () => {
  it('recognises definitions, not calls or macros', () => {
    expect(functionDefinedBy('static bool foo_map(struct foo *f,')).toBe('foo_map');
    expect(functionDefinedBy('int __init foo_init(void)')).toBe('foo_init');
    expect(functionDefinedBy('\tfoo_map(f);')).toBeNull();
    expect(functionDefinedBy('EXPORT_SYMBOL(foo_map);')).toBeNull();
    expect(functionDefinedBy('out_unlink:')).toBeNull();
  });

  it('finds callers in the same file, nearest first, up to two levels', () => {
    const src = [
      'static bool leaf_map(struct x *x)',
      '{',
      '\treturn true;',
      '}',
      '',
      'static bool mid_start(struct x *x)',
      '{',
      '\treturn leaf_map(x);',
      '}',
      '',
      'bool top_start(struct x *x)',
      '{',
      '\tif (!mid_start(x))',
      '\t\treturn false;',
      '\treturn true;',
      '}',
      'EXPORT_SYMBOL_GPL(top_start);',
    ].join('\n');
    expect(callersInFile(src, 'leaf_map')).toEqual(['mid_start', 'top_start']);
    expect(callersInFile(src, 'top_start')).toEqual([]);
  });
});
