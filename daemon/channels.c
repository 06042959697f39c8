/* Channel instances: each configured channel names a module, loaded from
 * the module directory; several instances may share one module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunnd.h"
#include "log.h"

int channels_open(struct dunnd *d, char *err, size_t errlen)
{
	const struct config *c = d->cfg;
	struct channel_env env = {d->base, c->dir, c->public_url, c->conninfo, NULL};

	d->chans = calloc(c->nchannels + 1, sizeof *d->chans);
	if (!d->chans)
		return -1;
	for (size_t i = 0; i < c->nchannels; i++) {
		const struct config_channel *cc = &c->channels[i];
		struct dunnd_chan *dc = &d->chans[d->nchans];
		char why[512], hook[1024];

		if (module_load(c->module_dir, cc->module, &dc->mod, why, sizeof why) != 0) {
			snprintf(err, errlen, "channel '%s': %s", cc->name, why);
			return -1;
		}
		dc->ops = dc->mod.ops;
		{
			const char *pu = c->public_url ? c->public_url : "";
			size_t pl = strlen(pu);
			while (pl > 0 && pu[pl - 1] == '/')
				pl--;
			snprintf(hook, sizeof hook, "%.*s/webhooks/%s", (int)pl, pu, cc->name);
		}
		env.webhook_url = hook;
		dc->ch = dc->ops->init(cc->name, cc->conf, &env, err, errlen);
		if (!dc->ch) {
			module_unload(&dc->mod);
			return -1;
		}
		dc->name = strdup(cc->name);
		d->nchans++;
		log_info("channel", "event=open channel=%s module=%s", cc->name, cc->module);
	}
	return 0;
}

size_t channels_inflight(const struct dunnd *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nchans; i++)
		n += d->chans[i].ops->inflight(d->chans[i].ch);
	return n;
}

const struct dunnd_chan *dunnd_chan(const struct dunnd *d, const char *name)
{
	for (size_t i = 0; i < d->nchans; i++)
		if (strcmp(d->chans[i].name, name) == 0)
			return &d->chans[i];
	return NULL;
}

/* Every channel is closed before any name or module goes: a closing
 * channel reports its last results, and the dispatcher looks channels up
 * by name while it records them. */
void channels_close(struct dunnd *d)
{
	for (size_t i = 0; i < d->nchans; i++)
		d->chans[i].ops->close(d->chans[i].ch);
	for (size_t i = 0; i < d->nchans; i++) {
		module_unload(&d->chans[i].mod);
		free(d->chans[i].name);
	}
	free(d->chans);
	d->chans = NULL;
	d->nchans = 0;
}
