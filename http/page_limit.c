/* Requests per account on the customer page: a token bucket each, in a
 * small fixed table (memory stays bounded whatever the traffic). A busy
 * table forgets the least recently seen account of a probe window, which
 * at worst gives that account a fresh bucket. */
#include <stdint.h>

#include "page.h"

#define LIMIT_SLOTS 4096 /* power of two */
#define LIMIT_PROBE 8
#define LIMIT_BURST 30.0
#define LIMIT_PER_S (30.0 / 60.0)

struct bucket {
	int64_t id; /* 0 = free (account ids start at 1) */
	double tokens, at;
};

static struct bucket table[LIMIT_SLOTS];

static uint32_t slot_of(int64_t id)
{
	uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;

	return (uint32_t)(x >> 40) & (LIMIT_SLOTS - 1);
}

int page_limit_take(int64_t account_id, double now)
{
	uint32_t h = slot_of(account_id);
	struct bucket *b = NULL, *oldest = NULL;

	for (uint32_t i = 0; i < LIMIT_PROBE; i++) {
		struct bucket *s = &table[(h + i) & (LIMIT_SLOTS - 1)];
		if (s->id == account_id) {
			b = s;
			break;
		}
		/* A free slot beats any used one; else the least recently seen. */
		if (!oldest || (oldest->id != 0 && (s->id == 0 || s->at < oldest->at)))
			oldest = s;
	}
	if (!b) {
		b = oldest;
		b->id = account_id;
		b->tokens = LIMIT_BURST;
		b->at = now;
	}
	b->tokens += (now - b->at) * LIMIT_PER_S;
	if (b->tokens > LIMIT_BURST)
		b->tokens = LIMIT_BURST;
	b->at = now;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}
