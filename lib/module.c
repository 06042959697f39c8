#include "module.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int module_load(const char *dir, const char *name, struct module *out, char *err, size_t errlen)
{
	char path[4096];

	memset(out, 0, sizeof *out);
	/* A module name is a plain file name: no paths sneaking in. */
	if (!*name || strchr(name, '/') || name[0] == '.') {
		snprintf(err, errlen, "invalid module name '%s'", name);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s.so", dir, name);
	out->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!out->handle) {
		snprintf(err, errlen, "module '%s' not found or not loadable: %s", name, dlerror());
		return -1;
	}
	out->ops = dlsym(out->handle, CHANNEL_SYMBOL);
	if (!out->ops) {
		snprintf(err, errlen, "%s: no '%s' symbol: not a dunnd channel module", path,
			 CHANNEL_SYMBOL);
		module_unload(out);
		return -1;
	}
	if (out->ops->abi < CHANNEL_ABI_MIN || out->ops->abi > CHANNEL_ABI ||
	    strcmp(out->ops->name, name) != 0 || !out->ops->init || !out->ops->send ||
	    !out->ops->inflight || !out->ops->close) {
		snprintf(err, errlen, "%s: incompatible module (ABI %d, dunnd loads %d to %d)",
			 path, out->ops->abi, CHANNEL_ABI_MIN, CHANNEL_ABI);
		module_unload(out);
		return -1;
	}
	/* What it says it is must be something the daemon can act on. */
	const char *kind = module_template_kind(out->ops);
	if (out->ops->addr < CHANNEL_ADDR_EMAIL || out->ops->addr > CHANNEL_ADDR_ACCOUNT ||
	    out->ops->optout < CHANNEL_OPTOUT_NONE || out->ops->optout > CHANNEL_OPTOUT_CALLS ||
	    !*kind || strlen(kind) > 32 ||
	    strspn(kind, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(kind)) {
		snprintf(err, errlen,
			 "%s: module declares no valid address kind, opt-out list or template "
			 "kind (addr %d, optout %d)",
			 path, (int)out->ops->addr, (int)out->ops->optout);
		module_unload(out);
		return -1;
	}
	/* An ABI 2 module's ops end before these: never read them. */
	if (out->ops->abi >= 3) {
		out->opts = out->ops->opts;
		out->check = out->ops->check;
	}
	return 0;
}

const char *module_template_kind(const struct channel_ops *ops)
{
	return ops->template_kind ? ops->template_kind : ops->name;
}

const char *module_optout_list(enum channel_optout o)
{
	static const char *const lists[] = {
		[CHANNEL_OPTOUT_NONE] = NULL,
		[CHANNEL_OPTOUT_EMAIL] = "email",
		[CHANNEL_OPTOUT_TEXTS] = "sms",
		[CHANNEL_OPTOUT_CALLS] = "phone",
	};
	return (unsigned)o < sizeof lists / sizeof lists[0] ? lists[o] : NULL;
}

void module_unload(struct module *m)
{
	if (m->handle)
		dlclose(m->handle);
	memset(m, 0, sizeof *m);
}
