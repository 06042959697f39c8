/* Which variant of a step an account takes. Deterministic from the
 * experiment's name and the account's key alone, so the answer is the
 * same in every cycle, process and reload, and another experiment (or
 * another step) never shifts it. */
#include <openssl/evp.h>
#include <string.h>

#include "policy.h"

/* The first 8 bytes of SHA-256(experiment NUL key), big-endian. Any
 * digest spreads accounts evenly; SHA-256 is the one every other tool
 * has, so an analyst can recompute an assignment outside dunnd. */
static uint64_t assign_hash(const char *experiment, const char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t h = 0;
	int ok;

	if (!ctx)
		return 0;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(ctx, experiment, strlen(experiment) + 1) == 1 &&
		EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
		EVP_DigestFinal_ex(ctx, md, &len) == 1 && len >= 8;
	EVP_MD_CTX_free(ctx);
	for (int i = 0; ok && i < 8; i++)
		h = h << 8 | md[i];
	return h;
}

int policy_variant_index(const struct policy_step *st, const char *account_key)
{
	uint64_t slot;

	if (!st->nvariants || st->total_weight == 0)
		return -1;
	if (!account_key)
		return 0;
	/* 2^64 mod a total of at most 16e6 skews a weight by < 1e-12. */
	slot = assign_hash(st->experiment, account_key) % st->total_weight;
	for (size_t i = 0; i < st->nvariants; i++) {
		if (slot < st->variants[i].weight)
			return (int)i;
		slot -= st->variants[i].weight;
	}
	return (int)st->nvariants - 1; /* unreachable: the weights sum to the total */
}

const struct policy_step *policy_variant_for(const struct policy_step *st, const char *account_key,
					     const struct policy_variant **v)
{
	int i = policy_variant_index(st, account_key);

	*v = i >= 0 ? &st->variants[i] : NULL;
	return *v ? &(*v)->step : st;
}
