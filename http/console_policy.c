/* The policy page: the policy in force and its templates for everyone to
 * read, and for admins a candidate policy checked by the loader dunnd
 * --check-config uses (config_load_policy: errors at line and column) and
 * simulated against the real book beside the policy in force by the
 * engine dunnctl simulate runs (engine/sim.c), the difference as a table
 * and a chart. Nothing is put in force from here: that stays a file and
 * `systemctl reload dunnd`, so the console cannot change what is sent.
 *
 * The configuration is the one in force when the request came (the loop
 * holds it for the worker, config_hold), read only. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "console_int.h"
#include "multipart.h"
#include "preset.h"
#include "sim.h"

/* One simulation at a time: a second worker stays free for everyone else. */
static pthread_mutex_t sim_mu = PTHREAD_MUTEX_INITIALIZER;

#define CON_SIM_DEFAULT_DAYS 30
#define CON_SIM_MAX_DAYS 90
#define CON_SIM_MAX_ROWS 500

enum form_error con_policy_form(const struct con_in *in, struct form *f)
{
	char boundary[80];

	if (in->blen > CON_POLICY_MAX_BODY)
		return FORM_ETOOBIG;
	if (multipart_boundary(in->content_type, boundary, sizeof boundary) == 0)
		return multipart_parse(boundary, in->body, in->blen, CON_POLICY_MAX_BODY, f);
	return form_parse_max(in->body, in->blen, CON_POLICY_MAX_BODY, f);
}

static void th(struct con_out *o, enum con_lang lang, const char *key, int num)
{
	con_lit(o, num ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">");
	con_esc(o, con_t(lang, key));
	con_lit(o, "</th>");
}

static void td(struct con_out *o, const char *s)
{
	con_lit(o, "<td>");
	con_esc(o, s);
	con_lit(o, "</td>");
}

static void channels_of(struct con_out *o, const struct policy_step *st)
{
	con_lit(o, "<td>");
	for (size_t k = 0; k < st->nchannels; k++) {
		if (k)
			con_lit(o, ", ");
		con_esc(o, st->channels[k]);
	}
	con_lit(o, "</td>");
}

/* The tracks and their steps as the daemon holds them. */
static void tracks(struct con_out *o, enum con_lang lang, const struct policy *p)
{
	con_lit(o, "<table><thead><tr>");
	th(o, lang, "track", 0);
	th(o, lang, "step", 1);
	th(o, lang, "after_days", 1);
	th(o, lang, "channel", 0);
	th(o, lang, "template", 0);
	th(o, lang, "variant", 0);
	con_lit(o, "</tr></thead><tbody>");
	for (size_t t = 0; t < p->ntracks; t++) {
		const struct policy_track *tr = &p->tracks[t];
		for (size_t s = 0; s < tr->nsteps; s++) {
			const struct policy_step *st = &tr->steps[s];
			con_lit(o, "<tr>");
			td(o, tr->name);
			con_printf(o, "<td class=\"num\">%zu</td><td class=\"num\">%d</td>", s + 1,
				   st->after_days);
			channels_of(o, st);
			td(o, st->template);
			con_lit(o, "<td>");
			for (size_t v = 0; v < st->nvariants; v++) {
				if (v)
					con_lit(o, ", ");
				con_esc(o, st->variants[v].name);
				con_printf(o, " (%u)", st->variants[v].weight);
			}
			con_lit(o, st->nvariants ? "</td>" : "-</td>");
			con_lit(o, "</tr>");
		}
	}
	con_lit(o, "</tbody></table>");
}

/* A template's variables written back as {{ name }}: the text as loaded. */
static const char *as_written(void *ctx, const char *name)
{
	char *buf = ctx;

	snprintf(buf, 128, "{{ %s }}", name);
	return buf;
}

static void tmpl_source(struct con_out *o, const struct tmpl *t)
{
	char buf[128];
	char *s = tmpl_render(t, as_written, buf, TMPL_RAW);

	if (!s) {
		o->oom = 1;
		return;
	}
	con_esc(o, s);
	free(s);
}

static int by_entry(const void *a, const void *b)
{
	const struct tmplset_entry *x = *(const struct tmplset_entry *const *)a;
	const struct tmplset_entry *y = *(const struct tmplset_entry *const *)b;
	int d;

	if ((d = strcmp(x->locale, y->locale)) != 0)
		return d;
	if ((d = strcmp(x->name, y->name)) != 0)
		return d;
	return strcmp(x->kind, y->kind);
}

/* Every template, per locale, then name and channel kind. */
static void templates(struct con_out *o, const struct tmplset *ts)
{
	size_t n = ts ? tmplset_count(ts) : 0;
	const struct tmplset_entry **e = calloc(n + 1, sizeof *e);
	const char *locale = NULL;

	if (!e) {
		o->oom = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		e[i] = tmplset_entry_at(ts, i);
	if (n)
		qsort(e, n, sizeof *e, by_entry);
	for (size_t i = 0; i < n; i++) {
		if (!locale || strcmp(locale, e[i]->locale) != 0) {
			con_lit(o, "<h3>");
			con_esc(o, e[i]->locale);
			con_lit(o, "</h3>");
			locale = e[i]->locale;
		}
		con_lit(o, "<details><summary>");
		con_esc(o, e[i]->name);
		con_lit(o, ".");
		con_esc(o, e[i]->kind);
		con_lit(o, "</summary><pre>");
		if (e[i]->subject) {
			con_lit(o, "Subject: ");
			tmpl_source(o, e[i]->subject);
			con_lit(o, "\n\n");
		}
		if (e[i]->body)
			tmpl_source(o, e[i]->body);
		con_lit(o, "</pre></details>");
	}
	free(e);
}

static void upload_form(struct con_out *o, enum con_lang lang, const struct con_session *s,
			const char *text, int days)
{
	con_lit(o, "<section><h2>");
	con_esc(o, con_t(lang, "policy_check"));
	con_lit(o,
		"</h2><form method=\"post\" action=\"/console/policy\" "
		"enctype=\"multipart/form-data\">");
	con_csrf_field(o, s);
	con_lit(o, "<label for=\"policy\">");
	con_esc(o, con_t(lang, "policy_text"));
	con_lit(o,
		"</label><textarea id=\"policy\" name=\"policy\" rows=\"12\" "
		"spellcheck=\"false\">");
	con_esc(o, text);
	con_lit(o, "</textarea><label for=\"policy_file\">");
	con_esc(o, con_t(lang, "policy_file"));
	con_lit(o,
		"</label><input id=\"policy_file\" name=\"policy_file\" type=\"file\" "
		"accept=\".json,application/json\"><label for=\"days\">");
	con_esc(o, con_t(lang, "policy_days"));
	con_printf(o,
		   "</label><input id=\"days\" name=\"days\" type=\"number\" min=\"1\" "
		   "max=\"%d\" value=\"%d\"><button type=\"submit\">",
		   CON_SIM_MAX_DAYS, days);
	con_esc(o, con_t(lang, "policy_simulate"));
	con_lit(o, "</button></form></section>");
}

static void reload_how(struct con_out *o, enum con_lang lang, const struct config *cfg)
{
	con_lit(o, "<p class=\"muted\">");
	con_esc(o, con_t(lang, "policy_reload_how"));
	con_lit(o, " <code>");
	con_esc(o, cfg->policy_path);
	con_lit(o, "</code> &rarr; <code>systemctl reload dunnd</code></p>");
}

static void page_start(struct con_out *o, enum con_lang lang, const struct con_session *s,
		       const struct config *cfg, const char *why)
{
	con_head(o, lang, con_t(lang, "policy"), s, NULL);
	con_title(o, con_t(lang, "policy"), why);
	reload_how(o, lang, cfg);
}

static void in_force(struct con_out *o, enum con_lang lang, const struct config *cfg)
{
	con_lit(o, "<section><h2>");
	con_esc(o, con_t(lang, "policy_in_force"));
	con_printf(o,
		   "</h2><p>grace_days %d &middot; step_gap_hours %d &middot; "
		   "max_promise_days %d</p>",
		   cfg->policy->grace_days, cfg->policy->step_gap_hours,
		   cfg->policy->max_promise_days);
	tracks(o, lang, cfg->policy);
	if (cfg->policy_text) {
		con_lit(o, "<details><summary>");
		con_esc(o, con_t(lang, "policy_source"));
		con_lit(o, "</summary><pre>");
		con_esc(o, cfg->policy_text);
		con_lit(o, "</pre></details>");
	}
	con_lit(o, "</section><section><h2>");
	con_esc(o, con_t(lang, "templates"));
	con_lit(o, "</h2>");
	templates(o, cfg->templates);
	con_lit(o, "</section>");
}

static void show(const struct con_in *in, const struct con_session *s, struct con_out *out)
{
	const struct config *cfg = in->cfg;

	page_start(out, s->lang, s, cfg, NULL);
	if (s->role >= CON_ADMIN)
		upload_form(out, s->lang, s, "", CON_SIM_DEFAULT_DAYS);
	in_force(out, s->lang, cfg);
	con_foot(out);
}

/* "/tmp/dunnd-policy-XXXXXX/candidate.json:3:7: ..." as
 * "candidate.json:3:7: ...": where the staff member can look. */
static void diag_list(struct con_out *o, const struct diag *d, const char *dir, const char *cls)
{
	size_t dl = strlen(dir);

	con_printf(o, "<ul class=\"%s\">", cls);
	for (size_t i = 0; i < d->n; i++) {
		const char *m = d->msgs[i];
		if (!strncmp(m, dir, dl) && m[dl] == '/')
			m += dl + 1;
		con_lit(o, "<li><code>");
		con_esc(o, m);
		con_lit(o, "</code></li>");
	}
	con_lit(o, "</ul>");
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "-";
}

static long long jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* Per day, the messages of the differing cells under each policy: two
 * bars a day, the policy in force grey, the candidate blue. */
static void diff_chart(struct con_out *o, enum con_lang lang, const json_t *rows)
{
	char days[CON_SIM_MAX_DAYS + 2][16];
	long long cur[CON_SIM_MAX_DAYS + 2] = {0}, neu[CON_SIM_MAX_DAYS + 2] = {0}, max = 1;
	int nd = 0;
	size_t i;
	json_t *r;
	const int w = 640, row = 30, left = 110;

	json_array_foreach(rows, i, r)
	{
		const char *d = jstr(r, "day");
		int k = 0;
		while (k < nd && strcmp(days[k], d) != 0)
			k++;
		if (k == nd) {
			if (nd == CON_SIM_MAX_DAYS + 2)
				continue;
			snprintf(days[nd++], sizeof days[0], "%s", d);
		}
		cur[k] += jint(r, "current");
		neu[k] += jint(r, "new");
	}
	if (nd == 0)
		return;
	for (int k = 0; k < nd; k++) {
		if (cur[k] > max)
			max = cur[k];
		if (neu[k] > max)
			max = neu[k];
	}
	con_printf(o,
		   "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
		   "aria-label=\"",
		   w, nd * row + 30);
	con_esc(o, con_t(lang, "policy_chart"));
	con_lit(o, "\"><title>");
	con_esc(o, con_t(lang, "policy_chart"));
	con_lit(o, "</title>");
	con_printf(o,
		   "<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"#8c959f\"></rect>"
		   "<text x=\"%d\" y=\"15\" font-size=\"12\" fill=\"#1f2328\">",
		   left, left + 16);
	con_esc(o, con_t(lang, "current"));
	con_printf(o,
		   "</text><rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"#0969da\">"
		   "</rect><text x=\"%d\" y=\"15\" font-size=\"12\" fill=\"#1f2328\">",
		   left + 160, left + 176);
	con_esc(o, con_t(lang, "new"));
	con_lit(o, "</text>");
	for (int k = 0; k < nd; k++) {
		int y = 26 + k * row;
		int bc = (int)((w - left - 70) * (double)cur[k] / (double)max);
		int bn = (int)((w - left - 70) * (double)neu[k] / (double)max);
		con_printf(o,
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\" "
			   "fill=\"#1f2328\">%s</text>",
			   left - 6, y + 16, days[k]);
		con_printf(o,
			   "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"11\" fill=\"#8c959f\">"
			   "</rect><text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#1f2328\">%lld"
			   "</text>",
			   left, y + 2, bc > 0 ? bc : 1, left + (bc > 0 ? bc : 1) + 6, y + 12,
			   cur[k]);
		con_printf(o,
			   "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"11\" fill=\"#0969da\">"
			   "</rect><text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#1f2328\">%lld"
			   "</text>",
			   left, y + 14, bn > 0 ? bn : 1, left + (bn > 0 ? bn : 1) + 6, y + 24,
			   neu[k]);
	}
	con_lit(o, "</svg>");
}

static void diff_table(struct con_out *o, enum con_lang lang, const json_t *doc)
{
	const json_t *rows = json_object_get(doc, "rows");
	size_t i, n = json_array_size(rows);
	json_t *r;

	con_printf(o,
		   "<p id=\"sim-totals\" data-from=\"%s\" data-days=\"%lld\" "
		   "data-accounts=\"%lld\" data-current-messages=\"%lld\" "
		   "data-new-messages=\"%lld\" data-moved=\"%lld\" data-rows=\"%zu\">",
		   jstr(doc, "from"), jint(doc, "days"), jint(doc, "accounts"),
		   jint(doc, "current_messages"), jint(doc, "new_messages"),
		   jint(doc, "moved_within_day"), n);
	con_printf(o, "%s %s &middot; %lld %s &middot; %s %lld &rarr; %s %lld (%+lld)",
		   con_t(lang, "from"), jstr(doc, "from"), jint(doc, "accounts"),
		   con_t(lang, "accounts"), con_t(lang, "current"), jint(doc, "current_messages"),
		   con_t(lang, "new"), jint(doc, "new_messages"),
		   jint(doc, "new_messages") - jint(doc, "current_messages"));
	if (jint(doc, "moved_within_day") > 0)
		con_printf(o, " &middot; %lld %s", jint(doc, "moved_within_day"),
			   con_t(lang, "moved_within_day"));
	con_lit(o, "</p>");
	if (!json_is_true(json_object_get(doc, "different"))) {
		con_lit(o, "<p>");
		con_esc(o, con_t(lang, "no_difference"));
		con_lit(o, "</p>");
		return;
	}
	diff_chart(o, lang, rows);
	con_lit(o, "<table class=\"diff\"><thead><tr>");
	th(o, lang, "day", 0);
	th(o, lang, "track", 0);
	th(o, lang, "step", 1);
	th(o, lang, "channel", 0);
	th(o, lang, "template", 0);
	th(o, lang, "variant", 0);
	th(o, lang, "current", 1);
	th(o, lang, "new", 1);
	th(o, lang, "change", 1);
	con_lit(o, "</tr></thead><tbody>");
	json_array_foreach(rows, i, r)
	{
		char key[400];
		if (i == CON_SIM_MAX_ROWS)
			break;
		snprintf(key, sizeof key, "%s / %s / %lld / %s / %s / %s", jstr(r, "day"),
			 jstr(r, "track"), jint(r, "step"), jstr(r, "channel"), jstr(r, "template"),
			 jstr(r, "variant"));
		con_lit(o, "<tr data-row=\"");
		con_esc(o, key);
		con_printf(o, "\" data-current=\"%lld\" data-new=\"%lld\" data-change=\"%lld\">",
			   jint(r, "current"), jint(r, "new"), jint(r, "change"));
		td(o, jstr(r, "day"));
		td(o, jstr(r, "track"));
		con_printf(o, "<td class=\"num\">%lld</td>", jint(r, "step"));
		td(o, jstr(r, "channel"));
		td(o, jstr(r, "template"));
		td(o, jstr(r, "variant"));
		con_printf(o,
			   "<td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
			   "<td class=\"num\">%+lld</td></tr>",
			   jint(r, "current"), jint(r, "new"), jint(r, "change"));
	}
	con_lit(o, "</tbody></table>");
	if (n > CON_SIM_MAX_ROWS)
		con_printf(o, "<p class=\"muted\">+%zu &hellip; dunnctl simulate --policy</p>",
			   n - CON_SIM_MAX_ROWS);
}

/* The candidate into a file of its own for the loader (which reads and
 * places errors by file), in a fresh private directory. 0 or -1. */
static int write_candidate(const char *text, char *dir, size_t dlen, char *file, size_t flen)
{
	const char *tmp = getenv("TMPDIR");
	size_t n = strlen(text);
	int fd, ok;

	snprintf(dir, dlen, "%s/dunnd-policy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, flen, "%s/candidate.json", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rmdir(dir);
		return -1;
	}
	ok = write(fd, text, n) == (ssize_t)n;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		unlink(file);
		rmdir(dir);
		return -1;
	}
	return 0;
}

/* The simulation of both policies over the book, or the reason it was not
 * run; the answer's status code. */
static int simulate(struct con_db *db, const struct con_in *in, enum con_lang lang,
		    const struct policy *cand, int days, struct con_out *out, json_t **doc)
{
	struct sim_req r = {in->cfg->policy, cand, in->now, days};
	struct sim_params sp;
	PGresult *book = NULL, *size;
	int code = 200, accounts;

	*doc = NULL;
	if (pthread_mutex_trylock(&sim_mu) != 0) {
		con_lit(out, "<p class=\"flash err\" role=\"status\">");
		con_esc(out, con_t(lang, "sim_busy"));
		con_lit(out, "</p>");
		out->retry_after = 10;
		return 503;
	}
	sim_params(&r, &sp);
	size = con_q(db, SIM_SQL_BOOK_SIZE, 0, NULL);
	accounts = size ? atoi(PQgetvalue(size, 0, 0)) : 0;
	PQclear(size);
	if (!size) {
		con_lit(out, "<p class=\"flash err\" role=\"status\">");
		con_esc(out, con_t(lang, "err_db"));
		con_lit(out, "</p>");
		code = 503;
	} else if (sim_work(&r, accounts) > CON_SIM_MAX_WORK) {
		/* Bounded before the book is read: a worker answers in seconds. */
		struct sim_req one = r;
		one.days = 1;
		con_printf(out,
			   "<p class=\"flash err\" role=\"status\">%d %s &times; %d: ", accounts,
			   con_t(lang, "accounts"), days);
		con_esc(out, con_t(lang, "sim_too_big"));
		con_printf(out, " %lld. <code>dunnctl simulate --days %d --policy FILE</code></p>",
			   (long long)(CON_SIM_MAX_WORK / sim_work(&one, accounts)), days);
		code = 422;
	} else if (!(book = con_q(db, SIM_SQL_BOOK, 3, sp.v))) {
		con_lit(out, "<p class=\"flash err\" role=\"status\">");
		con_esc(out, con_t(lang, "err_db"));
		con_lit(out, "</p>");
		code = 503;
	} else {
		*doc = sim_run(&r, book);
		if (!*doc)
			out->oom = 1;
	}
	PQclear(book);
	pthread_mutex_unlock(&sim_mu);
	return code;
}

static void check(struct con_db *db, const struct con_in *in, const struct con_session *s,
		  const struct form *f, struct con_out *out)
{
	const char *text = form_get(f, "policy"), *days_s = form_get(f, "days");
	char dir[512], file[600], *end = NULL, detail[256];
	struct diag d = {0}, warn = {0};
	struct policy *cand;
	json_t *doc = NULL;
	int days = CON_SIM_DEFAULT_DAYS, code;
	size_t nerr;

	if (!text || !text[strspn(text, " \t\r\n")])
		text = form_get(f, "policy_file");
	if (days_s && *days_s) {
		long v = strtol(days_s, &end, 10);
		days = *end || v < 1 || v > CON_SIM_MAX_DAYS ? -1 : (int)v;
	}
	if (!text || !text[strspn(text, " \t\r\n")] || days < 0) {
		out->code = 422;
		page_start(out, s->lang, s, in->cfg, con_t(s->lang, "err_policy_form"));
		upload_form(out, s->lang, s, text ? text : "", CON_SIM_DEFAULT_DAYS);
		con_foot(out);
		return;
	}
	if (write_candidate(text, dir, sizeof dir, file, sizeof file) != 0) {
		con_error_page(out, 503, s->lang, s, "err_db");
		return;
	}
	cand = config_load_policy(in->cfg, file, &d);
	if (cand)
		preset_warnings(cand, file, &warn);
	unlink(file);
	rmdir(dir);
	nerr = d.n;
	if (!cand) {
		out->code = 422;
		page_start(out, s->lang, s, in->cfg, con_t(s->lang, "err_policy"));
		diag_list(out, &d, dir, "diag err");
		upload_form(out, s->lang, s, text, days);
		con_foot(out);
	} else {
		page_start(out, s->lang, s, in->cfg, NULL);
		con_lit(out, "<section><h2>");
		con_esc(out, con_t(s->lang, "policy_diff"));
		con_lit(out, "</h2><p class=\"flash\" role=\"status\">");
		con_esc(out, con_t(s->lang, "policy_ok"));
		con_lit(out, "</p>");
		if (warn.n)
			diag_list(out, &warn, dir, "diag");
		code = simulate(db, in, s->lang, cand, days, out, &doc);
		out->code = code;
		if (doc)
			diff_table(out, s->lang, doc);
		con_lit(out, "</section>");
		upload_form(out, s->lang, s, text, days);
		con_foot(out);
	}
	/* Who looked at which candidate, and what it would do. */
	snprintf(detail, sizeof detail,
		 "{\"ok\": %s, \"errors\": %zu, \"days\": %d, \"bytes\": %zu, "
		 "\"current_messages\": %lld, \"new_messages\": %lld}",
		 cand ? "true" : "false", nerr, days, strlen(text),
		 doc ? jint(doc, "current_messages") : 0, doc ? jint(doc, "new_messages") : 0);
	con_audit(db, in, s, "console_policy_checked", NULL, NULL, detail);
	json_decref(doc);
	policy_free(cand);
	diag_free(&d);
	diag_free(&warn);
}

void con_policy(struct con_db *db, const struct con_in *in, const struct con_session *s,
		const struct form *f, struct con_out *out)
{
	if (!in->cfg)
		return con_error_page(out, 503, s->lang, s, "err_db");
	if (in->method == CON_POST) {
		if (s->role < CON_ADMIN)
			return con_error_page(out, 403, s->lang, s, "err_role");
		return check(db, in, s, f, out);
	}
	if (in->method != CON_GET && in->method != CON_HEAD)
		return con_error_page(out, 405, s->lang, s, "err_method");
	show(in, s, out);
}
