/* lib/payevent and the payment providers' signatures (sig.c): hostile
 * bodies and headers. Input: NUL-separated Stripe-Signature header,
 * secret, body. The body goes through all three parsers; the header is
 * verified against it; a signature made for it verifies. */
#include "fuzz.h"
#include "payevent.h"
#include "sig.h"

#define NOW 1790000000 /* fixed: runs must be reproducible */

static void check_event(const struct payevent *e)
{
	FUZZ_ASSERT(e->kind >= PAYEV_IGNORED && e->kind <= PAYEV_DISPUTE);
	FUZZ_ASSERT(e->amount >= 0 && e->amount <= 1000000000000000LL);
	FUZZ_ASSERT(strlen(e->currency) == 0 || strlen(e->currency) == 3);
	FUZZ_ASSERT(strlen(e->id) < sizeof e->id && strlen(e->payment) < sizeof e->payment);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3], *buf = fuzz_split(data, size, f, 3);
	const char *header = f[0], *secret = f[1], *body = f[2];
	const char *secrets[2] = {secret, "whsec_fixed_second"};
	static struct payevent ev[PAYEV_MAX];
	char err[256], good[128], sig[SIG_ADYEN_LEN];
	unsigned char key[SIG_ADYEN_KEY_MAX];
	size_t len = strlen(body), n = 0;
	enum sig_result r;

	if (payevent_stripe(body, len, NULL, &ev[0], err, sizeof err) == 0)
		check_event(&ev[0]);
	if (payevent_generic(body, len, &ev[0], err, sizeof err) == 0)
		check_event(&ev[0]);
	if (payevent_adyen(body, len, ev, PAYEV_MAX, &n, err, sizeof err) == 0) {
		FUZZ_ASSERT(n >= 1 && n <= PAYEV_MAX);
		for (size_t i = 0; i < n; i++) {
			check_event(&ev[i]);
			FUZZ_ASSERT(strlen(ev[i].signed_data) < sizeof ev[i].signed_data);
			(void)sig_adyen_verify((const unsigned char *)"k", 1, ev[i].signed_data,
					       strlen(ev[i].signed_data), ev[i].hmac);
		}
	}
	r = sig_stripe_verify(secrets, *secret ? 2 : 1, header, body, len, NOW);
	FUZZ_ASSERT(r <= SIG_OK && r >= SIG_EINTERNAL && sig_strerror(r));
	if (*secret && sig_stripe_sign(secret, NOW - 5, body, len, good, sizeof good) == 0) {
		FUZZ_ASSERT(sig_stripe_verify(secrets, 2, good, body, len, NOW) == SIG_OK);
		FUZZ_ASSERT(sig_stripe_verify(secrets + 1, 1, good, body, len, NOW) ==
			    SIG_EMISMATCH);
	}
	if (sig_adyen_key(secret, key) > 0) {
		FUZZ_ASSERT(sig_adyen_sign(key, 32, body, len, sig) == 0);
		FUZZ_ASSERT(sig_adyen_verify(key, 32, body, len, sig) == SIG_OK);
	}
	free(buf);
	return 0;
}
