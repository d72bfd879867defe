/**
 * A made-up, kernel-shaped C file (tab indentation, error labels) before and after a fix that mirrors the seed's
 * kind of change: a `break` becomes a `goto`, a braced error block becomes a `goto`, and an error label is added.
 */

export const FROB_PATH = 'drivers/frob/frob-map.c';

const HEAD = `// SPDX-License-Identifier: GPL-2.0
/*
 * Range mapping helpers for the frob engine.
 */
#include <linux/device.h>
#include <linux/errno.h>

struct frob_state {
	unsigned long base;
	size_t len;
};

static int frob_link(struct device *dev, struct frob_state *st, size_t off,
		     size_t len, unsigned int attrs)
{
	if (off + len > st->len)
		return -EINVAL;
	return 0;
}

static int frob_sync(struct device *dev, struct frob_state *st, size_t off,
		     size_t len)
{
	return len ? 0 : -EIO;
}

static void frob_destroy(struct device *dev, struct frob_state *st,
			 size_t mapped, unsigned int attrs)
{
	st->base = 0;
}
`;

const MAP_BEFORE = `
static bool frob_map_range(struct device *dev, struct frob_state *st,
			   const size_t *lens, int nr, int *status)
{
	unsigned int attrs = 0;
	size_t mapped = 0;
	int error = 0;
	int i;

	for (i = 0; i < nr; i++) {
		error = frob_link(dev, st, mapped,
				  lens[i], attrs);
		if (error)
			break;
		mapped += lens[i];
	}

	error = frob_sync(dev, st, 0, mapped);
	if (error) {
		*status = error;
		return false;
	}

	return true;
}
`;

const MAP_AFTER = `
static bool frob_map_range(struct device *dev, struct frob_state *st,
			   const size_t *lens, int nr, int *status)
{
	unsigned int attrs = 0;
	size_t mapped = 0;
	int error = 0;
	int i;

	for (i = 0; i < nr; i++) {
		error = frob_link(dev, st, mapped,
				  lens[i], attrs);
		if (error)
			goto out_unlink;
		mapped += lens[i];
	}

	error = frob_sync(dev, st, 0, mapped);
	if (error)
		goto out_unlink;

	return true;

out_unlink:
	frob_destroy(dev, st, mapped, attrs);
	*status = error;
	return false;
}
`;

const TAIL = `
static void frob_reset(struct frob_state *st)
{
	st->base = 0;
	st->len = 0;
}
`;

/** An older branch: the same function, more code above it (line numbers shift). */
const OLD_EXTRA = `
static unsigned long frob_page_count(const struct frob_state *st)
{
	return st->len >> 12;
}
`;

export const frobBefore = HEAD + MAP_BEFORE + TAIL;
export const frobAfter = HEAD + MAP_AFTER + TAIL;
export const frobBeforeShifted = HEAD + OLD_EXTRA + MAP_BEFORE + TAIL;
export const frobAfterShifted = HEAD + OLD_EXTRA + MAP_AFTER + TAIL;
/** the mapping function twice with the same body: any context inside it occurs twice */
export const frobBeforeTwice =
  HEAD + MAP_BEFORE + MAP_BEFORE.replace('frob_map_range(', 'frob_map_range_locked(') + TAIL;

export const FIX_SUBJECT = 'frob: fix partial mapping cleanup in frob_map_range';
export const FIX_AUTHOR = { name: 'Ilse Varga', email: 'ilse@example.org' };
export const FIX_BODY = `When frob_link() fails partway through, the loop breaks without
undoing the links already made; a frob_sync() failure leaks them too.

Add an out_unlink error path that calls frob_destroy().`;
