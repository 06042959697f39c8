/* lib/config: load a fuzzed dunnd.json next to a small fixed policy and
 * template tree. Inputs that name other paths (policy, templates,
 * migrations, module_dir) are skipped: the fuzzer must not dlopen or read
 * whatever it finds on the machine. */
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static char dir[] = "/tmp/fuzz_config.XXXXXX";
static char cfg[sizeof dir + 16];

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void cleanup(void)
{
	static const char *const files[] = {"dunnd.json",
					    "policy.json",
					    "templates/en/gentle.email",
					    "templates/en/payment_received.email",
					    "templates/en/promise_ack.email",
					    "templates/en/dispute_ack.email",
					    "templates/en/dispute_upheld.email",
					    "templates/en/dispute_rejected.email",
					    "templates/en",
					    "templates",
					    NULL};
	char p[256];

	for (size_t i = 0; files[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		remove(p);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char mail[] = "Subject: {{ company }}\n\nHello {{ name }}, {{ amount }}.\n";
	static const char *const tmpls[] = {"gentle",      "payment_received", "promise_ack",
					    "dispute_ack", "dispute_upheld",   "dispute_rejected",
					    NULL};
	char p[256];

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(cfg, sizeof cfg, "%s/dunnd.json", dir);
	put("policy.json",
	    "{\"confirmation\": {\"template\": \"payment_received\","
	    " \"channels\": [\"email\"]}, \"tracks\": [{\"name\": \"t\","
	    " \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"],"
	    " \"template\": \"gentle\"}]}]}\n");
	snprintf(p, sizeof p, "%s/templates", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/templates/en", dir);
	mkdir(p, 0700);
	for (size_t i = 0; tmpls[i]; i++) {
		snprintf(p, sizeof p, "templates/en/%s.email", tmpls[i]);
		put(p, mail);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"policy", "templates", "migrations", "module_dir",
					    NULL};
	struct diag diag = {0};
	struct config *c;
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	FILE *f;

	for (size_t i = 0; root && paths[i]; i++)
		if (json_is_object(root) && json_object_get(root, paths[i])) {
			json_decref(root);
			return 0;
		}
	json_decref(root);
	f = fopen(cfg, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	c = config_load(cfg, &diag);
	FUZZ_ASSERT(c ? diag.n == 0 : diag.n > 0);
	if (c) {
		FUZZ_ASSERT(c->conninfo && c->http_listen && c->policy && c->templates);
		for (size_t i = 0; i < c->nchannels; i++)
			FUZZ_ASSERT(config_channel(c, c->channels[i].name));
		config_free(c);
	}
	diag_free(&diag);
	return 0;
}
