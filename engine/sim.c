/* The simulation (sim.h). The model: every account with unpaid
 * invoices, its open case if any (stage, track, pause), its recent
 * contacts; time advances hour by hour; no payments, promises or replies
 * happen during the simulated days.
 *
 * A message is counted on the customer's local date (what the customer
 * sees), per track, step, channel, template and variant (a step's
 * variant is the account's, computed as the poller does from its
 * external_ref, so adding, removing or reweighting a variant shows as
 * messages moving between variants). Two policies differ when any of
 * those counts differ, or when the same messages go at other hours of the
 * same days: each message's account, hour, step, channel, template and
 * variant is hashed, and the two multisets of hashes are compared. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "owed.h"
#include "sim.h"
#include "tz.h"

#define SIM_HISTORY 64

/* What each account owes comes per currency (see owed.h) from
 * dunning.account_owed as of the end of the simulated days ($3): an
 * invoice that falls due within them counts (the engine still waits for
 * each step's day), one due later never does. */
const char SIM_SQL_BOOK[] =
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
	"          AND d.created_at > $1::timestamptz - $2::int * interval '1 day'),\n"
	"       (SELECT q.spec FROM dunning.quiet_times q WHERE q.account_id = a.id),\n"
	"       a.external_ref, c.pause_reason,\n"
	/* The score the claim would use: the stored one, else one computed
	 * as of the start (read only: simulate writes nothing). */
	"       coalesce((SELECT r.score FROM dunning.account_risk r WHERE r.account_id = a.id),\n"
	"                (SELECT dunning.risk_score(i.cycles, i.days_late, i.promises_kept,\n"
	"                        i.promises_broken, i.plans_kept, i.plans_broken, i.bounces,\n"
	"                        i.disputes_upheld) FROM dunning.risk_inputs(a.id, $1) i))\n"
	"FROM (SELECT DISTINCT account_id FROM dunning.invoices\n"
	"      WHERE paid_at IS NULL AND amount_due > amount_paid) x\n"
	"JOIN dunning.accounts a ON a.id = x.account_id\n"
	"CROSS JOIN LATERAL (\n"
	"  SELECT coalesce(string_agg(o.currency || ':' || o.overdue, ',' ORDER BY o.currency)\n"
	"           FILTER (WHERE o.overdue > 0), '') AS balance,\n"
	"         count(*) FILTER (WHERE o.disputed > 0) AS disputed,\n"
	"         min(o.currency) FILTER (WHERE o.overdue > 0) AS currency,\n"
	"         min(o.oldest_due) AS oldest_due\n"
	"  FROM dunning.account_owed(a.id, $3) o) b\n"
	"LEFT JOIN dunning.cases c ON c.account_id = a.id AND c.state <> 'resolved'\n"
	"WHERE b.balance <> '' OR b.disputed > 0";

const char SIM_SQL_BOOK_SIZE[] = "SELECT count(DISTINCT account_id) FROM dunning.invoices\n"
				 "WHERE paid_at IS NULL AND amount_due > amount_paid";

struct sim_case {
	char *tz, *segment, *currency, *track, *key, *pause_reason;
	struct owed owed[OWED_MAX_CURRENCIES];
	size_t nowed;
	int64_t disputed;
	int due_y, due_m, due_d;
	int open, stage, paused, prior, done;
	double risk;
	int64_t paused_until, next_at;
	char *hist_channels[SIM_HISTORY];
	struct policy_contact hist[SIM_HISTORY];
	size_t nhist;
	struct quiet *quiet; /* the customer's quiet times, or NULL */
	/* Fees the simulated days charged this case, per currency, for the
	 * legal maximum (fees charged before the first day are not read). */
	struct owed charged[OWED_MAX_CURRENCIES];
	size_t ncharged;
};

/* One counted cell: the customer's local date (days since 1970-01-01),
 * track, step, channel and template. */
struct sim_cell {
	int day, step;
	char track[48], channel[48], template[64], variant[72]; /* "" = no variants */
	char band[8]; /* the account's risk band; "" when the policy reads no risk */
	long n;
};

/* The late fees a step would charge: how many cases, how much in all. */
struct sim_fee {
	char track[48];
	int step;
	char currency[4];
	long cases;
	int64_t amount;
};

struct sim_result {
	struct sim_cell *cells;
	size_t n, cap;
	uint64_t *msgs; /* one hash per message, when kept (--policy) */
	size_t nmsgs, capmsgs;
	int keep_msgs;
	/* Steps held back by the customer's quiet times, counted like
	 * messages with the reason in place of the template, no channel. */
	struct sim_result *deferred;
	struct sim_fee *fees; /* per track, step and currency */
	size_t nfees, capfees;
};

static int same_cell(const struct sim_cell *c, int day, const char *track, int step, const char *ch,
		     const char *tmpl, const char *var, const char *band)
{
	return c->day == day && c->step == step && !strcmp(c->track, track) &&
		!strcmp(c->channel, ch) && !strcmp(c->template, tmpl) && !strcmp(c->variant, var) &&
		!strcmp(c->band, band);
}

static void count(struct sim_result *r, int day, const char *track, int step, const char *ch,
		  const char *tmpl, const char *var, const char *band)
{
	for (size_t i = 0; i < r->n; i++) {
		struct sim_cell *c = &r->cells[i];
		if (same_cell(c, day, track, step, ch, tmpl, var, band)) {
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
	snprintf(c->template, sizeof c->template, "%s", tmpl);
	snprintf(c->variant, sizeof c->variant, "%s", var);
	snprintf(c->band, sizeof c->band, "%s", band);
	c->n = 1;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* Remember one message (account, instant, track, step, channel, template,
 * variant). */
static void keep_msg(struct sim_result *r, int acct, int64_t at, const char *track, int step,
		     const char *ch, const char *tmpl, const char *var)
{
	uint64_t h = 14695981039346656037ULL;

	if (!r->keep_msgs)
		return;
	if (r->nmsgs == r->capmsgs) {
		size_t cap = r->capmsgs ? r->capmsgs * 2 : 1024;
		uint64_t *nm = realloc(r->msgs, cap * sizeof *nm);
		if (!nm)
			return;
		r->msgs = nm;
		r->capmsgs = cap;
	}
	h = fnv(h, &acct, sizeof acct);
	h = fnv(h, &at, sizeof at);
	h = fnv(h, &step, sizeof step);
	h = fnv(h, track, strlen(track) + 1);
	h = fnv(h, ch, strlen(ch) + 1);
	h = fnv(h, tmpl, strlen(tmpl) + 1);
	h = fnv(h, var, strlen(var) + 1);
	r->msgs[r->nmsgs++] = h;
}

static int by_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Messages of a not in b plus messages of b not in a (multisets). */
static long msgs_differing(struct sim_result *a, struct sim_result *b)
{
	size_t i = 0, j = 0;
	long n = 0;

	if (a->nmsgs) /* qsort's array must not be NULL, even for no elements */
		qsort(a->msgs, a->nmsgs, sizeof *a->msgs, by_hash);
	if (b->nmsgs)
		qsort(b->msgs, b->nmsgs, sizeof *b->msgs, by_hash);
	while (i < a->nmsgs && j < b->nmsgs) {
		if (a->msgs[i] == b->msgs[j]) {
			i++;
			j++;
		} else if (a->msgs[i] < b->msgs[j]) {
			i++;
			n++;
		} else {
			j++;
			n++;
		}
	}
	return n + (long)(a->nmsgs - i) + (long)(b->nmsgs - j);
}

static long lookup(const struct sim_result *r, const struct sim_cell *k)
{
	for (size_t i = 0; i < r->n; i++)
		if (same_cell(&r->cells[i], k->day, k->track, k->step, k->channel, k->template,
			      k->variant, k->band))
			return r->cells[i].n;
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
	if ((d = strcmp(x->channel, y->channel)) != 0)
		return d;
	if ((d = strcmp(x->template, y->template)) != 0)
		return d;
	if ((d = strcmp(x->variant, y->variant)) != 0)
		return d;
	return strcmp(x->band, y->band);
}

static void load_case(struct sim_case *s, const PGresult *res, int r)
{
	char *hist;

	memset(s, 0, sizeof *s);
	s->tz = strdup(PQgetvalue(res, r, 1));
	s->segment = strdup(PQgetvalue(res, r, 2));
	int n = owed_parse(PQgetvalue(res, r, 3), s->owed, OWED_MAX_CURRENCIES);
	s->nowed = n > 0 ? (size_t)n : 0; /* out of range: simulated as owing nothing */
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
	s->key = strdup(PQgetvalue(res, r, 16));
	s->pause_reason = PQgetisnull(res, r, 17) ? NULL : strdup(PQgetvalue(res, r, 17));
	s->risk = strtod(PQgetvalue(res, r, 18), NULL);
	if (!tz_valid(s->tz)) {
		free(s->tz);
		s->tz = strdup("UTC");
	}
	if (!PQgetisnull(res, r, 15)) {
		s->quiet = malloc(sizeof *s->quiet);
		if (s->quiet && quiet_parse(PQgetvalue(res, r, 15), s->quiet, NULL, 0) != 0) {
			free(s->quiet);
			s->quiet = NULL;
		}
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
	free(s->quiet);
	free(s->key);
	free(s->pause_reason);
	for (size_t i = 0; i < s->nhist; i++)
		free(s->hist_channels[i]);
}

static void add_contact(struct sim_case *s, const char *ch, int64_t at)
{
	size_t i = s->nhist;

	if (i == SIM_HISTORY) { /* drop the oldest */
		free(s->hist_channels[0]);
		memmove(&s->hist_channels[0], &s->hist_channels[1],
			(SIM_HISTORY - 1) * sizeof(char *));
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

/* The customer's local date of instant t, as days since 1970-01-01. */
static int local_day(const char *zone, int64_t t)
{
	struct tz_local l;

	if (tz_local(zone, t, &l) != 0)
		return (int)(t / 86400);
	return (int)tz_days_from_civil(l.year, l.month, l.day);
}

/* Walk case number acct through [t, t + 1h): at most a few decisions. */
static struct sim_fee *fee_cell(struct sim_result *r, const char *track, int step,
				const char *currency)
{
	for (size_t i = 0; i < r->nfees; i++)
		if (r->fees[i].step == step && !strcmp(r->fees[i].track, track) &&
		    !strcmp(r->fees[i].currency, currency))
			return &r->fees[i];
	if (r->nfees == r->capfees) {
		size_t cap = r->capfees ? r->capfees * 2 : 16;
		struct sim_fee *nf = realloc(r->fees, cap * sizeof *nf);
		if (!nf)
			return NULL;
		r->fees = nf;
		r->capfees = cap;
	}
	struct sim_fee *f = &r->fees[r->nfees++];
	memset(f, 0, sizeof *f);
	snprintf(f->track, sizeof f->track, "%s", track);
	f->step = step;
	snprintf(f->currency, sizeof f->currency, "%s", currency);
	return f;
}

/* What taking the step charges the case, as the poller would (fee.h). */
static void charge_fees(const struct policy *p, struct sim_case *s, const struct policy_action *a,
			struct sim_result *out)
{
	for (size_t i = 0; i < s->nowed; i++) {
		size_t k;
		for (k = 0; k < s->ncharged && strcmp(s->charged[k].currency, s->owed[i].currency);
		     k++)
			;
		int64_t already = k < s->ncharged ? s->charged[k].minor : 0;
		int64_t amt = policy_step_fee(p, a->track, a->step_no, s->owed[i].currency,
					      s->owed[i].minor, already, NULL);
		struct sim_fee *f;
		if (amt <= 0 ||
		    !(f = fee_cell(out, a->track->name, a->step_no, s->owed[i].currency)))
			continue;
		f->cases++;
		f->amount += amt;
		if (k == s->ncharged && k < OWED_MAX_CURRENCIES) {
			s->charged[k] = s->owed[i];
			s->charged[k].minor = 0;
			s->ncharged++;
		}
		if (k < s->ncharged)
			s->charged[k].minor += amt;
	}
}

static void step_case(const struct policy *p, struct sim_case *s, int acct, int64_t t,
		      struct sim_result *out)
{
	for (int guard = 0; guard < 4 && !s->done; guard++) {
		struct policy_case c = {0};
		struct policy_action a;

		if (!s->open) {
			int64_t due;
			/* Opens like the poller: due date + grace has passed. */
			if (tz_from_local("UTC", s->due_y, s->due_m, s->due_d, 0, 0, 0, &due) !=
				    0 ||
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
		c.owed = s->owed;
		c.nowed = s->nowed;
		c.disputed = s->disputed;
		c.due_year = s->due_y;
		c.due_month = s->due_m;
		c.due_day = s->due_d;
		c.history = s->hist;
		c.nhistory = s->nhist;
		c.quiet = s->quiet;
		c.account_key = s->key;
		c.pause_reason = s->pause_reason;
		c.risk = s->risk;
		if (policy_decide(p, &c, &a) != 0) {
			s->done = 1;
			return;
		}
		/* A broken promise may move the case to another track. */
		if (a.track && (!s->track || strcmp(s->track, a.track->name) != 0)) {
			free(s->track);
			s->track = strdup(a.track->name);
		}
		s->paused = !strcmp(a.state, "paused");
		if (a.verdict == POLICY_RESOLVE) {
			s->done = 1;
			return;
		}
		if (a.verdict == POLICY_WAIT && out->deferred && a.track &&
		    !strcmp(a.reason, POLICY_REASON_QUIET))
			count(out->deferred, local_day(s->tz, t), a.track->name, s->stage + 1, "",
			      a.reason, "", p->uses_risk ? a.band : "");
		if (a.verdict == POLICY_SEND) {
			int day = local_day(s->tz, t);
			char var[72] = "";
			if (a.variant)
				snprintf(var, sizeof var, "%s", a.variant->name);
			for (size_t k = 0; k < a.nchannels; k++) {
				count(out, day, a.track->name, a.step_no, a.channels[k],
				      a.step->template, var, p->uses_risk ? a.band : "");
				keep_msg(out, acct, t, a.track->name, a.step_no, a.channels[k],
					 a.step->template, var);
				add_contact(s, a.channels[k], t);
			}
			if (a.nchannels > 0)
				charge_fees(p, s, &a, out);
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
				step_case(p, &cs[r], r, start + (int64_t)day * 86400 + h * 3600,
					  out);
	for (int r = 0; r < n; r++)
		free_case(&cs[r]);
	free(cs);
}

static void day_label(int day, char *buf, size_t len)
{
	int64_t y;
	int m, d;

	tz_civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d", (int)y, m, d);
}

static const char DAY_BASIS[] = "customer_local_date";

static json_t *cell_json(const struct sim_cell *c)
{
	char d[16];
	json_t *o;

	day_label(c->day, d, sizeof d);
	o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "day", d, "track", c->track, "step", c->step,
		      "channel", c->channel, "template", c->template);
	if (o && c->variant[0])
		json_object_set_new(o, "variant", json_string(c->variant));
	if (o && c->band[0])
		json_object_set_new(o, "band", json_string(c->band));
	return o;
}

/* Each day a step waits for the customer's quiet times: day, track, step,
 * reason and how many accounts. */
static json_t *deferred_json(struct sim_result *d)
{
	json_t *rows = json_array();

	if (!d || d->n == 0) /* qsort's array must not be NULL */
		return rows;
	qsort(d->cells, d->n, sizeof *d->cells, by_cell);
	for (size_t i = 0; i < d->n; i++) {
		char day[16];
		day_label(d->cells[i].day, day, sizeof day);
		json_array_append_new(rows,
				      json_pack("{s:s, s:s, s:i, s:s, s:i}", "day", day, "track",
						d->cells[i].track, "step", d->cells[i].step,
						"reason", d->cells[i].template, "accounts",
						(int)d->cells[i].n));
	}
	return rows;
}

static json_t *plain_json(int64_t minor, const char *currency)
{
	char buf[48];

	if (money_plain(minor, currency, buf, sizeof buf) < 0)
		snprintf(buf, sizeof buf, "%lld", (long long)minor);
	return json_string(buf);
}

/* The fees each step would charge: track, step, currency, cases, amount. */
static json_t *fees_json(const struct sim_result *r)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < r->nfees; i++)
		json_array_append_new(
			rows,
			json_pack("{s:s, s:i, s:s, s:i, s:o}", "track", r->fees[i].track, "step",
				  r->fees[i].step, "currency", r->fees[i].currency, "cases",
				  (int)r->fees[i].cases, "amount",
				  plain_json(r->fees[i].amount, r->fees[i].currency)));
	return rows;
}

/* Fees that differ between two runs: current and new amounts (and cases). */
static json_t *fees_diff_json(struct sim_result *a, struct sim_result *b)
{
	json_t *rows = json_array();
	struct sim_result *both[2] = {a, b};

	for (int w = 0; w < 2; w++)
		for (size_t i = 0; i < both[w]->nfees; i++) {
			const struct sim_fee *f = &both[w]->fees[i], *g = NULL;
			struct sim_result *other = both[1 - w];
			for (size_t k = 0; k < other->nfees; k++)
				if (other->fees[k].step == f->step &&
				    !strcmp(other->fees[k].track, f->track) &&
				    !strcmp(other->fees[k].currency, f->currency))
					g = &other->fees[k];
			if (w == 1 && g)
				continue; /* already compared from a's side */
			const struct sim_fee *x = w == 0 ? f : g, *y = w == 0 ? g : f;
			int64_t xa = x ? x->amount : 0, ya = y ? y->amount : 0;
			long xc = x ? x->cases : 0, yc = y ? y->cases : 0;
			if (xa == ya && xc == yc)
				continue;
			json_array_append_new(
				rows,
				json_pack("{s:s, s:i, s:s, s:o, s:o, s:i, s:i}", "track", f->track,
					  "step", f->step, "currency", f->currency, "current",
					  plain_json(xa, f->currency), "new",
					  plain_json(ya, f->currency), "current_cases", (int)xc,
					  "new_cases", (int)yc));
		}
	return rows;
}

static json_t *one_json(const struct sim_result *r, const char *from, int days, int accounts)
{
	json_t *rows = json_array();
	long total = 0;

	for (size_t i = 0; i < r->n; i++) {
		json_t *row = cell_json(&r->cells[i]);
		json_object_set_new(row, "messages", json_integer(r->cells[i].n));
		json_array_append_new(rows, row);
		total += r->cells[i].n;
	}
	return json_pack("{s:s, s:i, s:s, s:i, s:o, s:I, s:o, s:o}", "from", from, "days", days,
			 "day_basis", DAY_BASIS, "accounts", accounts, "rows", rows, "messages",
			 (json_int_t)total, "deferred", deferred_json(r->deferred), "fees",
			 fees_json(r));
}

static json_t *diff_json(struct sim_result *a, struct sim_result *b, const char *from, int days,
			 int accounts)
{
	struct sim_result all = {0};
	json_t *rows = json_array();
	long ta = 0, tb = 0, moved;

	for (size_t i = 0; i < a->n; i++)
		count(&all, a->cells[i].day, a->cells[i].track, a->cells[i].step,
		      a->cells[i].channel, a->cells[i].template, a->cells[i].variant,
		      a->cells[i].band);
	for (size_t i = 0; i < b->n; i++)
		count(&all, b->cells[i].day, b->cells[i].track, b->cells[i].step,
		      b->cells[i].channel, b->cells[i].template, b->cells[i].variant,
		      b->cells[i].band);
	if (all.n)
		qsort(all.cells, all.n, sizeof *all.cells, by_cell);
	for (size_t i = 0; i < all.n; i++) {
		long x = lookup(a, &all.cells[i]), y = lookup(b, &all.cells[i]);
		ta += x;
		tb += y;
		if (x == y)
			continue;
		json_t *row = cell_json(&all.cells[i]);
		json_object_set_new(row, "current", json_integer(x));
		json_object_set_new(row, "new", json_integer(y));
		json_object_set_new(row, "change", json_integer(y - x));
		json_array_append_new(rows, row);
	}
	free(all.cells);
	/* Messages the day counts do not show: the same cell, another hour. */
	moved = msgs_differing(a, b);
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		json_int_t ch = json_integer_value(json_object_get(row, "change"));
		moved -= (long)(ch < 0 ? -ch : ch);
	}
	moved /= 2; /* each moved message is one missing and one extra */
	json_t *fees = fees_diff_json(a, b);
	return json_pack("{s:s, s:i, s:s, s:i, s:o, s:I, s:I, s:I, s:b, s:o}", "from", from, "days",
			 days, "day_basis", DAY_BASIS, "accounts", accounts, "rows", rows,
			 "current_messages", (json_int_t)ta, "new_messages", (json_int_t)tb,
			 "moved_within_day", (json_int_t)(moved > 0 ? moved : 0), "different",
			 json_array_size(rows) > 0 || moved > 0 || json_array_size(fees) > 0,
			 "fees", fees);
}


void sim_params(struct sim_req *r, struct sim_params *p)
{
	int hist;

	r->at -= r->at % 3600; /* whole hours, like the simulated clock */
	tz_format_iso8601(r->at, p->at, sizeof p->at);
	/* Enough history for the longest cap or rest of either policy. */
	hist = policy_history_days(r->current);
	if (r->candidate && policy_history_days(r->candidate) > hist)
		hist = policy_history_days(r->candidate);
	snprintf(p->hist, sizeof p->hist, "%d", hist);
	tz_format_iso8601(r->at + (int64_t)r->days * 86400, p->end, sizeof p->end);
	p->v[0] = p->at;
	p->v[1] = p->hist;
	p->v[2] = p->end;
}

int64_t sim_work(const struct sim_req *r, int accounts)
{
	return (int64_t)accounts * r->days * 24 * (r->candidate ? 2 : 1);
}

json_t *sim_run(const struct sim_req *r, const PGresult *book)
{
	struct sim_result cur = {0}, alt = {0}, deferred = {0};
	int accounts = PQntuples(book), compare = r->candidate != NULL;
	char at_s[32];
	json_t *doc;

	tz_format_iso8601(r->at, at_s, sizeof at_s);
	cur.keep_msgs = alt.keep_msgs = compare;
	if (!compare)
		cur.deferred = &deferred;
	simulate(r->current, book, r->at, r->days, &cur);
	if (cur.n)
		qsort(cur.cells, cur.n, sizeof *cur.cells, by_cell);
	if (compare) {
		simulate(r->candidate, book, r->at, r->days, &alt);
		doc = diff_json(&cur, &alt, at_s, r->days, accounts);
	} else {
		doc = one_json(&cur, at_s, r->days, accounts);
	}
	free(cur.cells);
	free(alt.cells);
	free(deferred.cells);
	free(cur.msgs);
	free(alt.msgs);
	free(cur.fees);
	free(alt.fees);
	return doc;
}
