/* engine/policy (with jconf, jsonpos, diag): load a fuzzed policy.json, then
 * ask the engine about one case so a loaded policy is also exercised. */
#include <unistd.h>

#include "fuzz.h"
#include "policy.h"

static char path[] = "/tmp/fuzz_policy.XXXXXX";
static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	unlink(path); /* reopened through /proc: nothing left behind */
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag diag = {0};
	struct policy *p;

	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	p = policy_load(path, &diag);
	FUZZ_ASSERT(p ? diag.n == 0 : diag.n > 0);
	for (size_t i = 0; i < diag.n; i++)
		FUZZ_ASSERT(diag.msgs[i] && strncmp(diag.msgs[i], path, strlen(path)) == 0);
	if (p) {
		struct policy_contact hist[] = {{"email", 1789900000, 0}, {"sms", 1789990000, 1}};
		struct policy_case c = {
			.now = 1790000000,
			.stage = 1,
			.segment = "retail",
			.timezone = "Asia/Seoul",
			.currency = "KRW",
			.balance = 120000,
			.due_year = 2026,
			.due_month = 4,
			.due_day = 1,
			.history = hist,
			.nhistory = 2,
		};
		struct policy_action a;
		const struct policy_track *t = policy_track_for(p, &c);
		if (t) {
			c.track = t->name;
			(void)policy_decide(p, &c, &a);
		}
		(void)policy_next_allowed(p, "email", "Asia/Seoul", c.now);
		policy_free(p);
	}
	diag_free(&diag);
	return 0;
}
