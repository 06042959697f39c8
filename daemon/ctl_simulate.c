/* dunnctl simulate: run the policy engine over the real book for N days
 * with no sends and print what would go out per day, track, stage and
 * channel; with --policy, run a candidate policy beside the current one
 * and print where they differ. Nothing is written to the database.
 *
 * The model: every account with unpaid invoices, its open case if any
 * (stage, track, pause), its recent contacts; time advances hour by hour;
 * no payments, promises or replies happen during the simulated days. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "policy.h"
#include "tz.h"

#define SIM_HISTORY 64

static const char SQL_BOOK[] =
	"SELECT a.id, a.timezone, a.segment, b.balance, b.disputed, b.currency,\n"
	"       coalesce(to_char(b.oldest_due, 'YYYY-MM-DD'), ''),\n"
	"       c.id IS NOT NULL, coalesce(c.stage, 0), c.track, coalesce(c.state, 'active'),\n"
	"       coalesce(extract(epoch FROM c.paused_until)::bigint, 0),\n"
	"       coalesce(extract(epoch FROM c.next_action_at)::bigint, 0),\n"
	"       (SELECT count(*) FROM dunning.cases p WHERE p.account_id = a.id\n"
	"          AND p.id IS DISTINCT FROM c.id AND p.opened_at > $1::timestamptz - interval '12 months'),\n"
	"       (SELECT string_agg(d.channel || ':' ||\n"
	"               extract(epoch FROM coalesce(d.sent_at, d.created_at))::bigint, ',')\n"
	"        FROM dunning.deliveries d WHERE d.account_id = a.id AND d.kind = 'reminder'\n"
	"          AND d.status IN ('queued', 'sending', 'sent', 'delivered')\n"
	"          AND d.created_at > $1::timestamptz - interval '31 days')\n"
	"FROM (SELECT account_id,\n"
	"             coalesce(sum(amount_due) FILTER (WHERE NOT disputed), 0) AS balance,\n"
	"             coalesce(sum(amount_due) FILTER (WHERE disputed), 0) AS disputed,\n"
	"             min(currency) AS currency,\n"
	"             min(due_date) FILTER (WHERE NOT disputed) AS oldest_due\n"
	"      FROM dunning.invoices WHERE paid_at IS NULL AND amount_due > 0\n"
	"      GROUP BY account_id) b\n"
	"JOIN dunning.accounts a ON a.id = b.account_id\n"
	"LEFT JOIN dunning.cases c ON c.account_id = a.id AND c.state <> 'resolved'";

struct sim_case {
	char *tz, *segment, *currency, *track;
	int64_t balance, disputed;
	int due_y, due_m, due_d;
	int open, stage, paused, prior, done;
	int64_t paused_until, next_at;
	char *hist_channels[SIM_HISTORY];
	struct policy_contact hist[SIM_HISTORY];
	size_t nhist;
};

/* One counted cell: day, track, step, channel. */
struct sim_cell {
	int day, step;
	char track[48], channel[48];
	long n;
};

struct sim_result {
	struct sim_cell *cells;
	size_t n, cap;
};

static void count(struct sim_result *r, int day, const char *track, int step, const char *ch)
{
	for (size_t i = 0; i < r->n; i++) {
		struct sim_cell *c = &r->cells[i];
		if (c->day == day && c->step == step && !strcmp(c->track, track) &&
		    !strcmp(c->channel, ch)) {
			c->n++;
			return;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct sim_cell *nc = realloc(r->cells, cap * sizeof *nc);
		if (!nc)
			return;
		r->cells = nc;
		r->cap = cap;
	}
	struct sim_cell *c = &r->cells[r->n++];
	memset(c, 0, sizeof *c);
	c->day = day;
	c->step = step;
	snprintf(c->track, sizeof c->track, "%s", track);
	snprintf(c->channel, sizeof c->channel, "%s", ch);
	c->n = 1;
}

static long lookup(const struct sim_result *r, const struct sim_cell *k)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct sim_cell *c = &r->cells[i];
		if (c->day == k->day && c->step == k->step && !strcmp(c->track, k->track) &&
		    !strcmp(c->channel, k->channel))
			return c->n;
	}
	return 0;
}

static int by_cell(const void *a, const void *b)
{
	const struct sim_cell *x = a, *y = b;
	int d;

	if (x->day != y->day)
		return x->day - y->day;
	if ((d = strcmp(x->track, y->track)) != 0)
		return d;
	if (x->step != y->step)
		return x->step - y->step;
	return strcmp(x->channel, y->channel);
}

static void load_case(struct sim_case *s, const PGresult *res, int r)
{
	char *hist;

	memset(s, 0, sizeof *s);
	s->tz = strdup(PQgetvalue(res, r, 1));
	s->segment = strdup(PQgetvalue(res, r, 2));
	s->balance = strtoll(PQgetvalue(res, r, 3), NULL, 10);
	s->disputed = strtoll(PQgetvalue(res, r, 4), NULL, 10);
	s->currency = strdup(PQgetvalue(res, r, 5));
	sscanf(PQgetvalue(res, r, 6), "%d-%d-%d", &s->due_y, &s->due_m, &s->due_d);
	s->open = PQgetvalue(res, r, 7)[0] == 't';
	s->stage = atoi(PQgetvalue(res, r, 8));
	s->track = PQgetisnull(res, r, 9) ? NULL : strdup(PQgetvalue(res, r, 9));
	s->paused = !strcmp(PQgetvalue(res, r, 10), "paused");
	s->paused_until = strtoll(PQgetvalue(res, r, 11), NULL, 10);
	s->next_at = strtoll(PQgetvalue(res, r, 12), NULL, 10);
	s->prior = atoi(PQgetvalue(res, r, 13));
	if (!tz_valid(s->tz)) {
		free(s->tz);
		s->tz = strdup("UTC");
	}
	hist = strdup(PQgetvalue(res, r, 14));
	for (char *save = NULL, *tok = strtok_r(hist, ",", &save); tok && s->nhist < SIM_HISTORY;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			continue;
		*colon = '\0';
		s->hist_channels[s->nhist] = strdup(tok);
		s->hist[s->nhist].channel = s->hist_channels[s->nhist];
		s->hist[s->nhist].at = strtoll(colon + 1, NULL, 10);
		s->nhist++;
	}
	free(hist);
}

static void free_case(struct sim_case *s)
{
	free(s->tz);
	free(s->segment);
	free(s->currency);
	free(s->track);
	for (size_t i = 0; i < s->nhist; i++)
		free(s->hist_channels[i]);
}

static void add_contact(struct sim_case *s, const char *ch, int64_t at)
{
	size_t i = s->nhist;

	if (i == SIM_HISTORY) { /* drop the oldest */
		free(s->hist_channels[0]);
		memmove(&s->hist_channels[0], &s->hist_channels[1], (SIM_HISTORY - 1) * sizeof(char *));
		memmove(&s->hist[0], &s->hist[1], (SIM_HISTORY - 1) * sizeof s->hist[0]);
		i = SIM_HISTORY - 1;
	}
	s->hist_channels[i] = strdup(ch);
	s->hist[i].channel = s->hist_channels[i];
	s->hist[i].at = at;
	s->hist[i].reached = 0;
	s->nhist = i + 1;
	for (size_t k = 0; k < s->nhist; k++)
		s->hist[k].channel = s->hist_channels[k];
}

/* Walk one case through [t, t + 1h): at most a few decisions. */
static void step_case(const struct policy *p, struct sim_case *s, int64_t t, int day,
		      struct sim_result *out)
{
	for (int guard = 0; guard < 4 && !s->done; guard++) {
		struct policy_case c = {0};
		struct policy_action a;

		if (!s->open) {
			int64_t due;
			/* Opens like the poller: due date + grace has passed. */
			if (tz_from_local("UTC", s->due_y, s->due_m, s->due_d, 0, 0, 0, &due) != 0 ||
			    due + (int64_t)(p->grace_days - 1) * 86400 > t)
				return;
			s->open = 1;
			s->next_at = t;
		}
		if (s->next_at > t)
			return;
		c.now = t;
		c.track = s->track;
		c.stage = s->stage;
		c.paused = s->paused;
		c.paused_until = s->paused_until;
		c.prior_cycles = s->prior;
		c.segment = s->segment;
		c.timezone = s->tz;
		c.currency = s->currency;
		c.balance = s->balance;
		c.disputed = s->disputed;
		c.due_year = s->due_y;
		c.due_month = s->due_m;
		c.due_day = s->due_d;
		c.history = s->hist;
		c.nhistory = s->nhist;
		if (policy_decide(p, &c, &a) != 0) {
			s->done = 1;
			return;
		}
		if (a.track && !s->track)
			s->track = strdup(a.track->name);
		s->paused = !strcmp(a.state, "paused");
		if (a.verdict == POLICY_RESOLVE) {
			s->done = 1;
			return;
		}
		if (a.verdict == POLICY_SEND) {
			for (size_t k = 0; k < a.nchannels; k++) {
				count(out, day, a.track->name, a.step_no, a.channels[k]);
				add_contact(s, a.channels[k], t);
			}
			s->stage = a.step_no;
		}
		s->next_at = a.next_at > t ? a.next_at : t + 3600;
	}
}

static void simulate(const struct policy *p, const PGresult *book, int64_t start, int days,
		     struct sim_result *out)
{
	int n = PQntuples(book);
	struct sim_case *cs = calloc((size_t)n + 1, sizeof *cs);

	for (int r = 0; r < n; r++)
		load_case(&cs[r], book, r);
	for (int day = 0; day < days; day++)
		for (int h = 0; h < 24; h++)
			for (int r = 0; r < n; r++)
				step_case(p, &cs[r], start + (int64_t)day * 86400 + h * 3600, day,
					  out);
	for (int r = 0; r < n; r++)
		free_case(&cs[r]);
	free(cs);
}

static void day_label(int64_t start, int day, char *buf, size_t len)
{
	char iso[32];

	tz_format_iso8601(start + (int64_t)day * 86400, iso, sizeof iso);
	snprintf(buf, len, "%.10s", iso);
}

static void print_one(const struct sim_result *r, int64_t start)
{
	long total = 0;

	qsort(r->cells, r->n, sizeof *r->cells, by_cell);
	printf("%-10s  %-16s %4s  %-12s %8s\n", "day", "track", "step", "channel", "messages");
	for (size_t i = 0; i < r->n; i++) {
		char d[16];
		day_label(start, r->cells[i].day, d, sizeof d);
		printf("%-10s  %-16s %4d  %-12s %8ld\n", d, r->cells[i].track, r->cells[i].step,
		       r->cells[i].channel, r->cells[i].n);
		total += r->cells[i].n;
	}
	printf("simulate: %ld messages would go out; nothing was sent\n", total);
}

static void print_diff(const struct sim_result *a, const struct sim_result *b, int64_t start)
{
	struct sim_result all = {0};
	long ta = 0, tb = 0, rows = 0;

	for (size_t i = 0; i < a->n; i++)
		count(&all, a->cells[i].day, a->cells[i].track, a->cells[i].step,
		      a->cells[i].channel);
	for (size_t i = 0; i < b->n; i++)
		count(&all, b->cells[i].day, b->cells[i].track, b->cells[i].step,
		      b->cells[i].channel);
	qsort(all.cells, all.n, sizeof *all.cells, by_cell);
	printf("%-10s  %-16s %4s  %-12s %8s %8s %8s\n", "day", "track", "step", "channel",
	       "current", "new", "change");
	for (size_t i = 0; i < all.n; i++) {
		long x = lookup(a, &all.cells[i]), y = lookup(b, &all.cells[i]);
		char d[16];
		ta += x;
		tb += y;
		if (x == y)
			continue;
		day_label(start, all.cells[i].day, d, sizeof d);
		printf("%-10s  %-16s %4d  %-12s %8ld %8ld %+8ld\n", d, all.cells[i].track,
		       all.cells[i].step, all.cells[i].channel, x, y, y - x);
		rows++;
	}
	if (rows == 0)
		printf("(no difference)\n");
	printf("simulate: current policy %ld messages, new policy %ld (%+ld); nothing was sent\n",
	       ta, tb, tb - ta);
	free(all.cells);
}

int ctl_simulate(struct ctl *c, int argc, char **argv)
{
	const char *days_s = ctl_take_opt(&argc, argv, "--days");
	const char *other = ctl_take_opt(&argc, argv, "--policy");
	struct sim_result cur = {0}, alt = {0};
	struct policy *p2 = NULL;
	char at_s[32];
	const char *params[1] = {at_s};
	PGresult *book;
	int64_t at;
	int days;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 1) {
		fprintf(stderr, "Usage: dunnctl -c FILE simulate [--days N] [--policy FILE] "
				"[--at ISO8601]\n");
		return 2;
	}
	days = days_s ? atoi(days_s) : 30;
	if (days < 1 || days > 366) {
		fprintf(stderr, "dunnctl: --days must be 1 to 366\n");
		return 2;
	}
	if (other) {
		struct diag d = {0};
		p2 = policy_load(other, &d);
		diag_print(&d, stderr);
		diag_free(&d);
		if (!p2)
			return 1;
	}
	at -= at % 3600; /* whole hours, like the simulated clock */
	tz_format_iso8601(at, at_s, sizeof at_s);
	book = ctl_exec(c, SQL_BOOK, 1, params);
	if (!book) {
		policy_free(p2);
		return 1;
	}
	fprintf(stderr, "simulate: %d accounts with unpaid invoices, %d days from %s\n",
		PQntuples(book), days, at_s);
	simulate(c->cfg->policy, book, at, days, &cur);
	if (p2) {
		simulate(p2, book, at, days, &alt);
		print_diff(&cur, &alt, at);
	} else {
		print_one(&cur, at);
	}
	PQclear(book);
	policy_free(p2);
	free(cur.cells);
	free(alt.cells);
	return 0;
}
