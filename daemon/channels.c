/* Channel instances: each configured channel names a module; the module's
 * ops are looked up by name and its ABI checked before use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunnd.h"
#include "log.h"

static const struct channel_ops *const channel_modules[] = {&channel_email, NULL};

const struct channel_ops *channels_find(const char *module)
{
	for (size_t i = 0; channel_modules[i]; i++)
		if (strcmp(channel_modules[i]->name, module) == 0)
			return channel_modules[i];
	return NULL;
}

int channels_open(struct dunnd *d, char *err, size_t errlen)
{
	const struct config *c = d->cfg;

	d->chans = calloc(c->nchannels + 1, sizeof *d->chans);
	if (!d->chans)
		return -1;
	for (size_t i = 0; i < c->nchannels; i++) {
		const struct config_channel *cc = &c->channels[i];
		const struct channel_ops *ops = channels_find(cc->module);
		struct dunnd_chan *dc = &d->chans[d->nchans];

		if (!ops || ops->abi != CHANNEL_ABI) {
			snprintf(err, errlen, "channel '%s': module '%s' %s", cc->name, cc->module,
				 ops ? "has an incompatible ABI" : "not found");
			return -1;
		}
		dc->ch = ops->init(cc->name, cc->conf, c->dir, d->base, err, errlen);
		if (!dc->ch)
			return -1;
		dc->name = strdup(cc->name);
		dc->ops = ops;
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

void channels_close(struct dunnd *d)
{
	for (size_t i = 0; i < d->nchans; i++) {
		d->chans[i].ops->close(d->chans[i].ch);
		free(d->chans[i].name);
	}
	free(d->chans);
	d->chans = NULL;
	d->nchans = 0;
}
