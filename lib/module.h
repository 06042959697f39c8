/* Channel modules are shared objects, <dir>/<name>.so, each exporting one
 * struct channel_ops as CHANNEL_SYMBOL. Loading checks the ABI version. */
#ifndef DUNN_MODULE_H
#define DUNN_MODULE_H

#include <stddef.h>

#include "channel.h"

struct module {
	void *handle;
	const struct channel_ops *ops;
	/* ops->opts and ops->check when its ABI has them, else NULL. */
	const struct channel_opt *opts;
	int (*check)(const char *instance, json_t *conf, const struct channel_env *env,
		     channel_report_fn report, void *ctx);
};

/* 0 ok; -1 with a reason in err (not found, no symbol, an ABI outside
 * CHANNEL_ABI_MIN to CHANNEL_ABI). */
int module_load(const char *dir, const char *name, struct module *out, char *err, size_t errlen);
void module_unload(struct module *m);

/* The extension of a module's templates: its template_kind, or its name. */
const char *module_template_kind(const struct channel_ops *ops);
/* The suppressions.channel value of an opt-out list ("email", "sms",
 * "phone"), NULL for CHANNEL_OPTOUT_NONE. */
const char *module_optout_list(enum channel_optout o);

#endif
