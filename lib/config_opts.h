/* The daemon's own options as rows (channel.h's struct channel_opt), one
 * table a section of dunnd.json; each channel module brings its own. */
#ifndef DUNN_CONFIG_OPTS_H
#define DUNN_CONFIG_OPTS_H

#include "channel.h"

struct config_section {
	const char *name; /* "" (the top level), "database", "http", ... */
	const struct channel_opt *rows;
};

extern const struct channel_opt config_opts_top[];
extern const struct channel_opt config_opts_database[];
extern const struct channel_opt config_opts_http[];
extern const struct channel_opt config_opts_console[];
extern const struct channel_opt config_opts_api[];
/* One table per payment provider, after "provider". */
extern const struct channel_opt config_opts_pay_stripe[];
extern const struct channel_opt config_opts_pay_adyen[];
extern const struct channel_opt config_opts_pay_generic[];
/* Every section a module does not bring, NULL-name terminated: the top
 * level, its fixed objects, and payments.<instance> per provider. */
extern const struct config_section config_sections[];

#endif
