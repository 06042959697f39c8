#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "apikey.h"
#include "brand.h"
#include "jconf.h"
#include "log.h"
#include "module.h"
#include "config_opts.h"
#include "opts.h"

char *config_relpath(const char *dir, const char *path)
{
	char *out = NULL;

	if (!path)
		return NULL;
	if (path[0] == '/' || !dir)
		return strdup(path);
	return asprintf(&out, "%s/%s", dir, path) < 0 ? NULL : out;
}

/* Open file where config_read_secret looks: $CREDENTIALS_DIRECTORY first
 * for a relative name, then dir. *path is what was opened (caller frees). */
static FILE *secret_open(const char *dir, const char *file, char **path)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	FILE *f = NULL;

	*path = NULL;
	if (creds && file[0] != '/' && asprintf(path, "%s/%s", creds, file) >= 0) {
		f = fopen(*path, "rb");
		if (!f) {
			free(*path);
			*path = NULL;
		}
	}
	if (!f) {
		*path = config_relpath(dir, file);
		f = *path ? fopen(*path, "rb") : NULL;
	}
	return f;
}

/* Like ssh with a private key: a secret anyone else on the machine may
 * read (or replace) is refused, not used; a NUL byte would cut it short
 * without a word, and a longer file would be cut at the buffer. */
char *config_read_secret(const char *dir, const char *file, char *err, size_t errlen)
{
	char *path = NULL, *out = NULL;
	char buf[CONFIG_SECRET_MAX + 1];
	struct stat st;
	size_t n = 0;
	FILE *f;
	int e;

	f = file ? secret_open(dir, file, &path) : NULL;
	if (!f) {
		e = errno;
		snprintf(err, errlen, "cannot open '%s': %s",
			 path           ? path
				 : file ? file
					: "",
			 file ? strerror(e) : "no file named");
		free(path);
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a regular file", path);
	} else if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "Permissions %04o for '%s' are too open: a secret must not be "
			 "accessible by group or others (chmod 600)",
			 (unsigned)(st.st_mode & 07777), path);
	} else {
		n = fread(buf, 1, sizeof buf, f);
		if (ferror(f))
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		else if (n > CONFIG_SECRET_MAX)
			snprintf(err, errlen, "'%s' is longer than %d bytes", path,
				 CONFIG_SECRET_MAX);
		else if (memchr(buf, '\0', n))
			snprintf(err, errlen, "'%s' holds a NUL byte", path);
		else {
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
				n--;
			buf[n] = '\0';
			out = strdup(buf);
			if (!out)
				snprintf(err, errlen, "out of memory");
		}
	}
	explicit_bzero(buf, sizeof buf);
	fclose(f);
	free(path);
	return out;
}

/* One secret file: readable as config_read_secret reads it, and at least
 * min bytes; else "CFG: KEY: why" to out. */
static int check_secret(const struct config *c, FILE *out, const char *key, const char *file,
			size_t min, const char *consequence)
{
	char why[512];
	char *s = config_read_secret(c->dir, file, why, sizeof why);
	int bad = !s || strlen(s) < (min ? min : 1);

	if (s && bad)
		snprintf(why, sizeof why, "'%s' is %s", file,
			 min ? "shorter than 16 bytes" : "empty");
	if (bad)
		fprintf(out, "%s: %s: %s%s\n", c->path, key, why, consequence ? consequence : "");
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
	return bad;
}

struct check_ctx {
	const struct config *c;
	const struct config_channel *ch;
	FILE *out;
	int n;
};

static void check_report(void *arg, const char *key, const char *why)
{
	struct check_ctx *x = arg;

	fprintf(x->out, "%s: channels.%s%s%s: %s\n", x->c->path, x->ch->name, key ? "." : "",
		key ? key : "", why);
	x->n++;
}

/* A channel's secret files, as its rows name them, then what only its
 * module can tell (its check hook). */
static int check_channel(const struct config *c, const struct config_channel *ch, FILE *out)
{
	struct check_ctx x = {c, ch, out, 0};
	char key[256], def[300], *hook = NULL;

	for (const struct channel_opt *r = ch->mod.opts; r && r->name; r++) {
		const char *f = json_string_value(json_object_get(ch->conf, r->name));
		if (r->type != CHANNEL_OPT_SECRET_FILE || !f)
			continue;
		snprintf(key, sizeof key, "channels.%s.%s", ch->name, r->name);
		x.n += check_secret(c, out, key, f, 0,
				    r->flags & CHANNEL_OPT_VERIFIES
					    ? ": the channel's callbacks could never be verified"
					    : NULL);
	}
	if (!ch->mod.check)
		return x.n;
	/* http.public_url unset (its default is the listen address, which
	 * no provider calls) is told to the module as NULL. */
	snprintf(def, sizeof def, "http://%s", c->http_listen ? c->http_listen : "");
	if (asprintf(&hook, "%s/webhooks/%s", c->public_url ? c->public_url : "", ch->name) < 0)
		hook = NULL;
	struct channel_env env = {
		.confdir = c->dir,
		.public_url = c->public_url && strcmp(c->public_url, def) ? c->public_url : NULL,
		.conninfo = c->conninfo,
		.webhook_url = hook,
	};
	ch->mod.check(ch->name, ch->conf, &env, check_report, &x);
	free(hook);
	return x.n;
}

int config_check_secrets(const struct config *c, FILE *out)
{
	char key[256];
	int n = 0;

	if (c->link_secret_file)
		n += check_secret(c, out, "http.link_secret_file", c->link_secret_file, 16, NULL);
	if (c->webhook_secret_file)
		n += check_secret(c, out, "http.webhook_secret_file", c->webhook_secret_file, 16,
				  NULL);
	if (c->api_keys_file) {
		char why[512];
		struct apikeys *ks = calloc(1, sizeof *ks);
		char *text = config_read_secret(c->dir, c->api_keys_file, why, sizeof why);
		if (text && ks && apikey_parse(text, ks, why, sizeof why) == 0) {
			OPENSSL_cleanse(ks, sizeof *ks);
		} else {
			fprintf(out, "%s: api.keys_file: %s%s%s\n", c->path,
				text ? c->api_keys_file : "", text ? ": " : "",
				ks ? why : "out of memory");
			n++;
		}
		free(text);
		free(ks);
	}
	for (size_t i = 0; i < c->nchannels; i++)
		n += check_channel(c, &c->channels[i], out);
	for (size_t i = 0; i < c->npayments; i++) {
		const struct config_payment *p = &c->payments[i];
		snprintf(key, sizeof key, "payments.%s.%s", p->name,
			 p->provider == CONFIG_PAY_STRIPE          ? "signing_secret_file"
				 : p->provider == CONFIG_PAY_ADYEN ? "hmac_key_file"
								   : "secret_file");
		if (p->secret_file)
			n += check_secret(c, out, key, p->secret_file, 0,
					  ": the instance's events could never be verified");
	}
	return n;
}

int config_channel_int(json_t *conf, const char *key, int def, int min, int max,
		       const char *instance, char *err, size_t errlen)
{
	json_t *v = json_object_get(conf, key);

	if (!v)
		return def;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "channel '%s': '%s' must be an integer from %d to %d",
			 instance, key, min, max);
		return -1;
	}
	return (int)json_integer_value(v);
}

struct config *config_hold(struct config *c)
{
	c->holders++;
	return c;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	if (c->holders > 0) {
		c->holders--;
		return;
	}
	free(c->policy_text);
	for (size_t i = 0; i < c->nchannels; i++) {
		free(c->channels[i].name);
		free(c->channels[i].module);
		free(c->channels[i].template_kind);
		json_decref(c->channels[i].conf);
		module_unload(&c->channels[i].mod);
	}
	free(c->channels);
	for (size_t i = 0; i < c->npayments; i++) {
		free(c->payments[i].name);
		free(c->payments[i].secret_file);
		free(c->payments[i].ref_field);
	}
	free(c->payments);
	policy_free(c->policy);
	tmplset_free(c->templates);
	for (size_t i = 0; i < c->nlocale_fallback; i++) {
		free((char *)c->locale_fallback[i].from);
		for (size_t k = 0; k < c->locale_fallback[i].nto; k++)
			free((char *)c->locale_fallback[i].to[k]);
	}
	free(c->locale_fallback);
	json_decref(c->root);
	free(c->path);
	free(c->dir);
	free(c->conninfo);
	free(c->listen_conninfo);
	free(c->http_listen);
	free(c->http_admin_listen);
	free(c->public_url);
	free(c->console_url);
	free(c->console_user_header);
	for (size_t i = 0; i < c->ntrusted_proxies; i++)
		free(c->console_trusted_proxies[i]);
	free(c->console_trusted_proxies);
	free(c->policy_path);
	free(c->templates_dir);
	free(c->migrations_dir);
	free(c->module_dir);
	free(c->company);
	free(c->support);
	brand_free(&c->brand);
	money_style_free(c);
	free(c->link_secret_file);
	free(c->webhook_secret_file);
	free(c->api_keys_file);
	free(c->sms_help_text);
	free(c->payment_url);
	free(c);
}

const struct config_channel *config_channel(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nchannels; i++)
		if (strcmp(c->channels[i].name, name) == 0)
			return &c->channels[i];
	return NULL;
}

static char *sdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

const struct config_payment *config_payment(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->npayments; i++)
		if (strcmp(c->payments[i].name, name) == 0)
			return &c->payments[i];
	return NULL;
}

const char *config_pay_provider_name(enum config_pay_provider p)
{
	switch (p) {
	case CONFIG_PAY_STRIPE:
		return "stripe";
	case CONFIG_PAY_ADYEN:
		return "adyen";
	case CONFIG_PAY_GENERIC:
		break;
	}
	return "generic";
}

/* "payments": each instance names its provider and the file holding its
 * key; the key each provider's dashboard calls it by. */
static void load_payments(struct jconf *j, struct config *c)
{
	static const struct channel_opt *const rows[] = {
		[CONFIG_PAY_STRIPE] = config_opts_pay_stripe,
		[CONFIG_PAY_ADYEN] = config_opts_pay_adyen,
		[CONFIG_PAY_GENERIC] = config_opts_pay_generic,
	};
	static const char *const secret_key[] = {"signing_secret_file", "hmac_key_file",
						 "secret_file"};
	json_t *pays = json_object_get(j->root, "payments"); /* an object: the top rows */
	const char *name;
	json_t *v;

	if (!json_is_object(pays))
		return;
	c->payments = calloc(json_object_size(pays) + 1, sizeof *c->payments);
	if (!c->payments)
		return;
	json_object_foreach(pays, name, v)
	{
		char *path = jconf_path("payments", name);
		const char *prov, *file;
		enum config_pay_provider p;

		if (!json_is_object(v)) {
			jconf_error(j, path, 0, "a payment instance must be an object");
			free(path);
			continue;
		}
		/* The name is a URL segment; the channels' own routes keep theirs. */
		if (!*name ||
		    strspn(name,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_-") != strlen(name) ||
		    strlen(name) > 32)
			jconf_error(j, path, 1,
				    "payment instance name '%s' must be 1-32 of A-Z a-z "
				    "0-9 _ -",
				    name);
		else if (!strcmp(name, "twilio") || !strcmp(name, "sms") || !strcmp(name, "email"))
			jconf_error(j, path, 1,
				    "payment instance name '%s' is taken by the %s "
				    "webhooks",
				    name, name);
		/* The provider picks the rows; one that is none of them is
		 * reported by any table's provider row. */
		prov = json_string_value(json_object_get(v, "provider"));
		p = !prov                         ? CONFIG_PAY_GENERIC
			: !strcmp(prov, "stripe") ? CONFIG_PAY_STRIPE
			: !strcmp(prov, "adyen")  ? CONFIG_PAY_ADYEN
						  : CONFIG_PAY_GENERIC;
		if (!prov || opts_enum(rows[p], v, "provider") < 0) {
			char *pp = jconf_path(path, "provider");
			if (!json_object_get(v, "provider"))
				jconf_error(j, path, 0, "missing required key 'provider'");
			else
				jconf_error(j, pp, 0, "provider must be stripe, adyen or generic");
			free(pp);
			free(path);
			continue;
		}
		opts_check(j, v, path, rows[p], NULL);
		file = opts_str(rows[p], v, secret_key[p]);
		struct config_payment *cp = &c->payments[c->npayments++];
		cp->name = strdup(name);
		cp->provider = p;
		cp->secret_file = sdup(file);
		cp->ref_field = p == CONFIG_PAY_STRIPE
			? sdup(opts_str(rows[p], v, "invoice_ref_field"))
			: NULL;
		free(path);
	}
}

static void load_channels(struct jconf *j, struct config *c)
{
	json_t *chans = json_object_get(j->root, "channels"); /* an object: the top rows */
	const char *name;
	json_t *v;

	if (!json_is_object(chans))
		return;
	c->channels = calloc(json_object_size(chans) + 1, sizeof *c->channels);
	json_object_foreach(chans, name, v)
	{
		char *path = jconf_path("channels", name);
		const char *module, *kind = NULL;
		struct module m = {0};
		unsigned caps = 0;
		int optout = 0;
		size_t k;

		if (!json_is_object(v)) {
			jconf_error(j, path, 0, "a channel must be an object");
			free(path);
			continue;
		}
		/* Names travel through the outbox and logs: keep them plain. */
		if (!*name ||
		    strspn(name,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_-") != strlen(name) ||
		    strlen(name) > 32)
			jconf_error(j, path, 1, "channel name '%s' must be 1-32 of A-Z a-z 0-9 _ -",
				    name);
		module = jconf_str(j, v, path, "module", NULL, 1);
		if (module) {
			char err[512];
			if (module_load(c->module_dir, module, &m, err, sizeof err) != 0) {
				char *mp = jconf_path(path, "module");
				jconf_error(j, mp, 0, "%s", err);
				free(mp);
				module = NULL; /* reported once; templates for it not checked */
			} else {
				kind = module_template_kind(m.ops);
				caps = m.ops->caps;
				optout = (int)m.ops->optout;
			}
		}
		/* Secrets never inline: only *_file keys may carry them. */
		static const char *const secret_keys[] = {"password", "auth_token", "secret",
							  "api_key", NULL};
		/* What the module's rows do not name but the core reads or has
		 * just reported. */
		static const char *const also[] = {"module", "password", "auth_token",
						   "secret", "api_key",  NULL};
		for (k = 0; secret_keys[k]; k++)
			if (json_object_get(v, secret_keys[k])) {
				char *sp = jconf_path(path, secret_keys[k]);
				jconf_error(j, sp, 1,
					    "secrets are not allowed inline: use '%s_file'",
					    secret_keys[k]);
				free(sp);
			}
		/* A module with rows has its object checked here, at the
		 * values' places; one without (ABI 2) by its init alone. */
		if (m.opts)
			opts_check(j, v, path, m.opts, also);
		struct config_channel *ch = &c->channels[c->nchannels++];
		ch->name = strdup(name);
		ch->module = sdup(module);
		ch->conf = json_incref(v);
		ch->template_kind = sdup(kind);
		ch->caps = caps;
		ch->optout = optout;
		ch->mod = m; /* unloaded by config_free */
		free(path);
	}
}

/* The policy's default call caps go to the channels that make calls,
 * whatever they are named. */
int config_bind_calls(const struct config *c, struct policy *p)
{
	const char **names = calloc(c->nchannels + 1, sizeof *names);
	size_t n = 0;
	int rc;

	if (!names)
		return -1;
	for (size_t i = 0; i < c->nchannels; i++)
		if (c->channels[i].optout == CHANNEL_OPTOUT_CALLS)
			names[n++] = c->channels[i].name;
	rc = policy_bind_calls(p, names, n);
	free(names);
	return rc;
}

/* Templates, each kind parsed for what its channels carry: a kind used by
 * a module that needs a subject must start with one. */
static struct tmplset *load_templates(struct config *c, struct diag *diag)
{
	struct tmplset_kind *kinds = calloc(c->nchannels + 1, sizeof *kinds);
	struct tmplset *t;
	size_t n = 0;

	if (!kinds)
		return NULL;
	for (size_t i = 0; i < c->nchannels; i++) {
		const struct config_channel *ch = &c->channels[i];
		size_t k;
		if (!ch->template_kind)
			continue;
		for (k = 0; k < n && strcmp(kinds[k].kind, ch->template_kind) != 0; k++)
			;
		if (k == n)
			kinds[n++] = (struct tmplset_kind){ch->template_kind, ch->caps};
		else
			kinds[k].caps |= ch->caps;
	}
	t = tmplset_load_kinds(c->templates_dir, kinds, n, diag);
	free(kinds);
	return t;
}

/* "locale_fallback": {"zh-TW": ["zh-Hant", "zh-HK"], ..., "*": ["en"]}:
 * which template locales to try after a customer's own. */
static void load_fallback(struct jconf *j, struct config *c)
{
	json_t *obj = jconf_obj(j, j->root, "", "locale_fallback", 0), *v;
	const char *from;

	if (!obj)
		return;
	c->locale_fallback = calloc(json_object_size(obj) + 1, sizeof *c->locale_fallback);
	if (!c->locale_fallback)
		return;
	json_object_foreach(obj, from, v)
	{
		char *path = jconf_path("locale_fallback", from);
		struct tmplset_chain *ch = &c->locale_fallback[c->nlocale_fallback];
		size_t i;
		json_t *to;

		if (strcmp(from, "*") != 0 && !tmplset_locale_valid(from)) {
			jconf_error(j, path, 1, "'%s' is not a locale (such as zh-TW) or \"*\"",
				    from);
		} else if (!json_is_array(v) || json_array_size(v) == 0 ||
			   json_array_size(v) > TMPLSET_CHAIN_MAX) {
			jconf_error(j, path, 0, "a fallback is a list of 1 to %d locales",
				    TMPLSET_CHAIN_MAX);
		} else {
			ch->from = strdup(from);
			json_array_foreach(v, i, to)
			{
				const char *t = json_string_value(to);
				if (!t || !tmplset_locale_valid(t)) {
					char *ip = jconf_path_index(path, i);
					jconf_error(j, ip, 0,
						    "a fallback entry is a locale such as zh-Hant");
					free(ip);
					continue;
				}
				ch->to[ch->nto++] = strdup(t);
			}
			c->nlocale_fallback++;
		}
		free(path);
	}
}

/* A channel the policy names must be configured, and the template it
 * would carry must exist (at least in en) for that channel's module. */
static void check_ref(struct config *c, struct diag *diag, const char *text,
		      const char *channel_path, const char *template_path, const char *channel,
		      const char *template)
{
	const struct config_channel *ch = config_channel(c, channel);

	if (!ch)
		diag_at(diag, c->policy_path, text, channel_path, 0, "unknown channel '%s'",
			channel);
	else if (c->templates && ch->template_kind &&
		 !tmplset_find(c->templates, "en", template, ch->template_kind))
		diag_at(diag, c->policy_path, text, template_path, 0,
			"unknown template '%s' for channel '%s' (no en/%s.%s)", template, channel,
			template, ch->template_kind);
}

static int same_channels(const struct policy_step *a, const struct policy_step *b)
{
	if (a->nchannels != b->nchannels)
		return 0;
	for (size_t k = 0; k < a->nchannels; k++)
		if (strcmp(a->channels[k], b->channels[k]) != 0)
			return 0;
	return 1;
}

/* Each variant's channels and template, placed where the variant names
 * them (or at the step, when it keeps the step's). */
static void check_variant_refs(struct config *c, struct diag *diag, const char *text, size_t t,
			       size_t s, const struct policy_step *st)
{
	char cpath[160], tpath[160];

	for (size_t v = 0; v < st->nvariants; v++) {
		const struct policy_step *vs = &st->variants[v].step;
		int own_ch = !same_channels(vs, st);
		if (strcmp(vs->template, st->template) != 0)
			snprintf(tpath, sizeof tpath,
				 "tracks[%zu].steps[%zu].variants[%zu].template", t, s, v);
		else
			snprintf(tpath, sizeof tpath, "tracks[%zu].steps[%zu].template", t, s);
		for (size_t k = 0; k < vs->nchannels; k++) {
			if (own_ch)
				snprintf(cpath, sizeof cpath,
					 "tracks[%zu].steps[%zu].variants[%zu].channels[%zu]", t, s,
					 v, k);
			else
				snprintf(cpath, sizeof cpath,
					 "tracks[%zu].steps[%zu].channels[%zu]", t, s, k);
			check_ref(c, diag, text, cpath, tpath, vs->channels[k], vs->template);
		}
	}
}

/* Notices sent on the confirmation channels besides the confirmation. */
static const char *const notice_templates[] = {"promise_ack", "dispute_ack", "dispute_upheld",
					       "dispute_rejected", NULL};

/* {{ deadline }} and {{ consequence }} come from the step that sends a
 * template: one that no step sends (a notice), or that a step sends
 * without a deadline_days or a consequence (in the template's language),
 * would say nothing where the customer expects a date or a warning. */
/* 1 if st or one of its variants sends e's template on a channel of
 * e's kind; *named counts the steps that send the template at all. */
static int step_sends_kind(const struct config *c, const struct policy_step *st,
			   const struct tmplset_entry *e, size_t *named)
{
	int hit = 0, seen = 0;

	for (size_t v = 0; v <= st->nvariants; v++) {
		const struct policy_step *vs = v == 0 ? st : &st->variants[v - 1].step;
		if (!vs->template || strcmp(vs->template, e->name) != 0)
			continue;
		seen = 1;
		/* Only the channels that send it render this kind. */
		for (size_t k = 0; k < vs->nchannels; k++) {
			const struct config_channel *ch = config_channel(c, vs->channels[k]);
			if (ch && ch->module && !strcmp(ch->module, e->kind))
				hit = 1;
		}
	}
	*named += (size_t)seen;
	return hit;
}

static void check_step_var(struct config *c, struct diag *diag, const char *text,
			   const struct tmplset_entry *e, const char *var, int line, int col)
{
	const struct policy *p = c->policy;
	size_t using = 0;
	char spath[128];

	for (size_t t = 0; t < p->ntracks; t++)
		for (size_t s = 0; s < p->tracks[t].nsteps; s++) {
			const struct policy_step *st = &p->tracks[t].steps[s];
			if (!step_sends_kind(c, st, e, &using))
				continue;
			snprintf(spath, sizeof spath, "tracks[%zu].steps[%zu]", t, s);
			if (!strcmp(var, "deadline") && st->deadline_days == 0)
				diag_add(
					diag, e->path, line, col,
					"{{ deadline }}, but %s (track '%s') sends '%s' and sets no "
					"deadline_days",
					spath, p->tracks[t].name, e->name);
			else if (!strcmp(var, "consequence") && st->nconsequence == 0)
				diag_add(
					diag, e->path, line, col,
					"{{ consequence }}, but %s (track '%s') sends '%s' and sets no "
					"consequence",
					spath, p->tracks[t].name, e->name);
			else if (!strcmp(var, "consequence") &&
				 !policy_consequence(st, e->locale)) {
				snprintf(spath, sizeof spath, "tracks[%zu].steps[%zu].consequence",
					 t, s);
				diag_at(diag, c->policy_path, text, spath, 0,
					"no consequence for locale '%s' (%s says {{ consequence }})",
					e->locale, e->path);
			}
		}
	/* A notice is sent by no step; a template nothing sends is left be. */
	int notice = p->confirm_template && !strcmp(p->confirm_template, e->name);
	for (size_t n = 0; !notice && notice_templates[n]; n++)
		notice = !strcmp(notice_templates[n], e->name);
	if (using == 0 && notice)
		diag_add(diag, e->path, line, col,
			 "{{ %s }}, but '%s' is a notice, which no step sends: only a step's "
			 "deadline_days and consequence give it a value",
			 var, e->name);
}

static void check_step_vars(struct config *c, struct diag *diag, const char *text)
{
	for (size_t i = 0; c->templates && i < tmplset_count(c->templates); i++) {
		const struct tmplset_entry *e = tmplset_entry_at(c->templates, i);
		const struct tmpl *part[2] = {e->subject, e->body};
		for (int k = 0; k < 2; k++)
			for (size_t v = 0; part[k] && v < tmpl_var_count(part[k]); v++) {
				int line = 0, col = 0;
				const char *n = tmpl_var_name(part[k], v, &line, &col);
				if (k == 0)
					col += 9; /* after "Subject: " */
				else
					line += e->body_line;
				if (!strcmp(n, "deadline") || !strcmp(n, "consequence"))
					check_step_var(c, diag, text, e, n, line, col);
			}
	}
}

static void check_policy_refs(struct config *c, struct diag *diag)
{
	const struct policy *p = c->policy;
	struct diag ignore = {0};
	struct jconf j;
	char cpath[128], tpath[128];

	/* Re-read the policy text only to place the errors. */
	jconf_open(&j, c->policy_path, &ignore);
	for (size_t t = 0; t < p->ntracks; t++) {
		for (size_t s = 0; s < p->tracks[t].nsteps; s++) {
			const struct policy_step *st = &p->tracks[t].steps[s];
			snprintf(tpath, sizeof tpath, "tracks[%zu].steps[%zu].template", t, s);
			for (size_t k = 0; k < st->nchannels; k++) {
				snprintf(cpath, sizeof cpath,
					 "tracks[%zu].steps[%zu].channels[%zu]", t, s, k);
				check_ref(c, diag, j.text, cpath, tpath, st->channels[k],
					  st->template);
			}
			check_variant_refs(c, diag, j.text, t, s, st);
		}
	}
	for (size_t k = 0; k < p->nconfirm_channels; k++) {
		snprintf(cpath, sizeof cpath, "confirmation.channels[%zu]", k);
		check_ref(c, diag, j.text, cpath, "confirmation.template", p->confirm_channels[k],
			  p->confirm_template);
		for (size_t n = 0; notice_templates[n] && config_channel(c, p->confirm_channels[k]);
		     n++)
			check_ref(c, diag, j.text, cpath, cpath, p->confirm_channels[k],
				  notice_templates[n]);
	}
	check_step_vars(c, diag, j.text);
	/* Kept as it was read: what the console shows as the policy in force. */
	free(c->policy_text);
	c->policy_text = j.text;
	j.text = NULL;
	jconf_close(&j);
	diag_free(&ignore);
}

struct policy *config_load_policy(const struct config *c, const char *file, struct diag *diag)
{
	struct config as_if = *c; /* c with file as its policy, for the same checks */
	size_t before = diag->n;
	struct policy *p = policy_load(file, diag);

	if (!p)
		return NULL;
	as_if.policy = p;
	as_if.policy_path = (char *)file;
	as_if.policy_text = NULL;
	check_policy_refs(&as_if, diag);
	free(as_if.policy_text);
	if (diag->n == before && config_bind_calls(c, p) != 0)
		diag_add(diag, file, 0, 0, "out of memory");
	if (diag->n != before) {
		policy_free(p);
		return NULL;
	}
	return p;
}

/* A password in the connection string would sit in a file every operator
 * reads and in the process's memory dumps: libpq reads it from a passfile
 * (passfile=..., $PGPASSFILE or ~/.pgpass), so only that is accepted.
 * PQconninfoParse sees it in both forms, "password=x" and a URI's
 * user:x@host. */
static void conninfo_check(struct jconf *j, const char *path, const char *conninfo)
{
	PQconninfoOption *opts;
	char *perr = NULL;

	if (!conninfo)
		return;
	opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		jconf_error(j, path, 0, "%s: %.*s", path, perr ? (int)strcspn(perr, "\n") : 14,
			    perr ? perr : "cannot parse it");
		PQfreemem(perr);
		return;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			jconf_error(
				j, path, 0,
				"%s: a password is not allowed in the connection string: put it "
				"in a passfile (passfile=PATH or $PGPASSFILE, mode 0600; under "
				"systemd, LoadCredential=pgpass:PATH and "
				"Environment=PGPASSFILE=%%d/pgpass)",
				path);
	PQconninfoFree(opts);
}

const char *config_brand(const struct config *c, const char *locale)
{
	return config_brand_field(c, locale, BRAND_NAME);
}

/* console.trusted_proxies and console.user_header: both or neither. The
 * addresses are kept in inet_ntop's form, the one config_trusted_proxy
 * compares. */
static void console_sso_load(struct jconf *j, json_t *console, struct config *c)
{
	/* Their types were checked with the console's rows. */
	json_t *arr = json_object_get(console, "trusted_proxies"), *v;
	const char *h = json_string_value(json_object_get(console, "user_header"));
	size_t i;

	if (!json_is_array(arr))
		arr = NULL;
	if (!arr != !h) {
		jconf_error(j, arr ? "console.trusted_proxies" : "console.user_header", 1,
			    "console.trusted_proxies and console.user_header go together");
		return;
	}
	if (!arr)
		return;
	if (!*h ||
	    strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(h)) {
		jconf_error(j, "console.user_header", 0,
			    "console.user_header must be a header name");
		return;
	}
	if (json_array_size(arr) == 0) {
		jconf_error(j, "console.trusted_proxies", 0,
			    "console.trusted_proxies needs at least one address");
		return;
	}
	c->console_user_header = strdup(h);
	c->console_trusted_proxies = calloc(json_array_size(arr), sizeof(char *));
	if (!c->console_user_header || !c->console_trusted_proxies)
		return;
	json_array_foreach(arr, i, v)
	{
		char path[64], norm[INET6_ADDRSTRLEN];
		snprintf(path, sizeof path, "console.trusted_proxies[%zu]", i);
		if (!json_is_string(v) ||
		    config_addr_norm(json_string_value(v), norm, sizeof norm)) {
			jconf_error(j, path, 0, "not an IP address (one address, no mask)");
			continue;
		}
		c->console_trusted_proxies[c->ntrusted_proxies++] = strdup(norm);
	}
}

int config_addr_norm(const char *addr, char *out, size_t len)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, addr, b) == 1)
		return inet_ntop(AF_INET, b, out, (socklen_t)len) ? 0 : -1;
	if (inet_pton(AF_INET6, addr, b) == 1) {
		/* An IPv4 client of a dual-stack socket is the IPv4 address. */
		if (!memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			return inet_ntop(AF_INET, b + 12, out, (socklen_t)len) ? 0 : -1;
		return inet_ntop(AF_INET6, b, out, (socklen_t)len) ? 0 : -1;
	}
	return -1;
}

int config_trusted_proxy(const struct config *c, const char *peer)
{
	char norm[INET6_ADDRSTRLEN];

	if (!c->console_user_header || !peer || config_addr_norm(peer, norm, sizeof norm) != 0)
		return 0;
	for (size_t i = 0; i < c->ntrusted_proxies; i++)
		if (c->console_trusted_proxies[i] && !strcmp(c->console_trusted_proxies[i], norm))
			return 1;
	return 0;
}

/* A string option's value or default, copied (NULL stays NULL). */
static char *opt_dup(const struct channel_opt *rows, json_t *obj, const char *name)
{
	return sdup(opts_str(rows, obj, name));
}

/* A section of the top level: its rows checked; NULL when absent (the
 * top-level rows reported one that is not an object). */
static json_t *section(struct jconf *j, const char *name, const struct channel_opt *rows)
{
	json_t *o = json_object_get(j->root, name);

	if (!json_is_object(o))
		return NULL;
	opts_check(j, o, name, rows, NULL);
	return o;
}

struct config *config_load(const char *file, struct diag *diag)
{
	struct jconf j;
	struct config *c = calloc(1, sizeof *c);
	size_t before = diag->n;
	json_t *db, *http, *console, *api, *root;
	char *tmp;

	if (!c)
		return NULL;
	if (jconf_open(&j, file, diag) != 0) {
		jconf_close(&j);
		free(c);
		return NULL;
	}
	c->path = strdup(file);
	tmp = strdup(file);
	c->dir = strdup(dirname(tmp));
	free(tmp);
	c->root = json_incref(j.root);
	root = j.root;
	/* Every option is a row of config_opts.c: the rows check the
	 * values (type, range, choices) at their file:line:column, and the
	 * reads below take a value or its row's default. */
	opts_check(&j, root, "", config_opts_top, NULL);
	db = section(&j, "database", config_opts_database);
	c->conninfo = opt_dup(config_opts_database, db, "conninfo");
	c->listen_conninfo = opt_dup(config_opts_database, db, "listen_conninfo");
	conninfo_check(&j, "database.conninfo", c->conninfo);
	conninfo_check(&j, "database.listen_conninfo", c->listen_conninfo);

	http = section(&j, "http", config_opts_http);
	c->http_listen = opt_dup(config_opts_http, http, "listen");
	c->http_admin_listen = opt_dup(config_opts_http, http, "admin_listen");
	c->public_url = opt_dup(config_opts_http, http, "public_url");
	c->link_secret_file = opt_dup(config_opts_http, http, "link_secret_file");
	c->webhook_secret_file = opt_dup(config_opts_http, http, "webhook_secret_file");
	c->sms_help_text = opt_dup(config_opts_http, http, "sms_help_text");
	c->payment_url = opt_dup(config_opts_http, http, "payment_url");
	c->http_max_body = (int)opts_int(config_opts_http, http, "max_body");
	c->http_timeout_s = (int)opts_int(config_opts_http, http, "timeout_s");
	c->http_request_timeout_s = (int)opts_int(config_opts_http, http, "request_timeout_s");
	c->http_max_connections = (int)opts_int(config_opts_http, http, "max_connections");

	api = section(&j, "api", config_opts_api);
	c->api_keys_file = opt_dup(config_opts_api, api, "keys_file");
	c->api_max_body = (int)opts_int(config_opts_api, api, "max_body");
	c->api_idempotency_ttl_s = (int)opts_int(config_opts_api, api, "idempotency_ttl_s");
	if (!c->public_url && asprintf(&c->public_url, "http://%s", c->http_listen) < 0)
		c->public_url = NULL;

	console = section(&j, "console", config_opts_console);
	c->console_url = opt_dup(config_opts_console, console, "url");
	c->console_idle_timeout_s = (int)opts_int(config_opts_console, console, "idle_timeout_s");
	c->console_absolute_timeout_s = (int)opts_int(config_opts_console, console,
						      "absolute_timeout_s");
	console_sso_load(&j, console, c);
	if (!c->console_url && asprintf(&c->console_url, "http://%s", c->http_admin_listen) < 0)
		c->console_url = NULL;

	c->policy_path = config_relpath(c->dir, opts_str(config_opts_top, root, "policy"));
	c->templates_dir = config_relpath(c->dir, opts_str(config_opts_top, root, "templates"));
	c->migrations_dir = config_relpath(c->dir, opts_str(config_opts_top, root, "migrations"));
	c->company = opt_dup(config_opts_top, root, "company");
	c->support = opt_dup(config_opts_top, root, "support");
	c->poll_interval_ms = (int)opts_int(config_opts_top, root, "poll_interval_ms");
	c->batch_size = (int)opts_int(config_opts_top, root, "batch_size");
	c->send_batch = (int)opts_int(config_opts_top, root, "send_batch");
	c->lease_seconds = (int)opts_int(config_opts_top, root, "lease_seconds");
	c->max_attempts = (int)opts_int(config_opts_top, root, "max_attempts");
	c->retry_base_s = (int)opts_int(config_opts_top, root, "retry_base_s");
	c->retry_max_s = (int)opts_int(config_opts_top, root, "retry_max_s");
	c->shutdown_timeout_ms = (int)opts_int(config_opts_top, root, "shutdown_timeout_ms");
	c->retention_days = (int)opts_int(config_opts_top, root, "retention_days");
	c->hold_sending = opts_bool(config_opts_top, root, "hold_sending");
	c->log_level = log_level_parse(opts_str(config_opts_top, root, "log_level"));
	if (c->log_level < 0)
		c->log_level = LOG_INFO; /* reported by the rows */
	c->module_dir = config_relpath(c->dir, opts_str(config_opts_top, root, "module_dir"));
	load_channels(&j, c);
	load_payments(&j, c);
	brand_load(&j, c);
	money_style_load(&j, c);
	load_fallback(&j, c);
	jconf_close(&j);

	c->policy = policy_load(c->policy_path, diag);
	c->templates = load_templates(c, diag);
	if (c->templates && c->locale_fallback)
		tmplset_set_fallback(c->templates, c->locale_fallback, c->nlocale_fallback);
	if (c->policy)
		check_policy_refs(c, diag);
	if (c->policy && config_bind_calls(c, c->policy) != 0)
		diag_add(diag, c->path, 0, 0, "out of memory");
	if (diag->n != before) {
		config_free(c);
		return NULL;
	}
	return c;
}

/* A section's restart-only rows, compared; 1 with its key when one differs. */
static int section_diff(const char *name, const struct channel_opt *rows, json_t *a, json_t *b,
			char *key, size_t keylen)
{
	/* The top level's objects are the sections and the channels,
	 * compared on their own below. */
	const struct channel_opt *r = opts_restart_diff(rows, a, b, !*name);

	if (r)
		snprintf(key, keylen, "%s%s%s", name, *name ? "." : "", r->name);
	return r != NULL;
}

int config_restart_diff(const struct config *a, const struct config *b, char *key, size_t keylen)
{
	static const struct {
		const char *name;
		const struct channel_opt *rows;
	} fixed[] = {{"", config_opts_top},
		     {"database", config_opts_database},
		     {"http", config_opts_http},
		     {"console", config_opts_console},
		     {"api", config_opts_api}};

	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		json_t *oa = *fixed[i].name ? json_object_get(a->root, fixed[i].name) : a->root;
		json_t *ob = *fixed[i].name ? json_object_get(b->root, fixed[i].name) : b->root;
		if (section_diff(fixed[i].name, fixed[i].rows, oa, ob, key, keylen))
			return 1;
	}
	/* The channels are opened once: the same instances, each of the
	 * same module, its restart-only options unchanged. */
	for (size_t i = 0; i < a->nchannels + b->nchannels; i++) {
		const struct config_channel *ca = i < a->nchannels ? &a->channels[i] : NULL;
		const struct config_channel *cb = ca ? config_channel(b, ca->name)
						     : &b->channels[i - a->nchannels];
		if (!ca && config_channel(a, cb->name))
			continue;
		if (!ca || !cb) {
			snprintf(key, keylen, "channels.%s", ca ? ca->name : cb->name);
			return 1;
		}
		if (strcmp(ca->module ? ca->module : "", cb->module ? cb->module : "")) {
			snprintf(key, keylen, "channels.%s.module", ca->name);
			return 1;
		}
		char name[64];
		snprintf(name, sizeof name, "channels.%s", ca->name);
		if (ca->mod.opts) {
			if (section_diff(name, ca->mod.opts, ca->conf, cb->conf, key, keylen))
				return 1;
		} else if (!json_equal(ca->conf, cb->conf)) {
			/* No rows: any change is one the instance would not see. */
			snprintf(key, keylen, "%s", name);
			return 1;
		}
	}
	return 0;
}
