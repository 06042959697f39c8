/* The escalation policy: what ops edit (policy.json) and the pure engine
 * that turns one case into its next action. No I/O in the engine. */
#ifndef DUNN_POLICY_H
#define DUNN_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "fee.h"
#include "owed.h"
#include "quiet.h"
#include "tmpl.h"

#define POLICY_MAX_CHANNELS 8

struct policy_variant;
/* A step's consequence in one language: what the company will do next
 * if nothing is paid ({{ consequence }}), itself a template that may say
 * {{ deadline }}. */
struct policy_text {
	char *locale; /* BCP 47 tag or "default" */
	struct tmpl *text;
	char *src; /* the text as written, for checks of what it says */
	int whole; /* given as one string, not per locale */
};

struct policy_step {
	int after_days; /* days past due (local date) */
	char *template;
	char *channels[POLICY_MAX_CHANNELS];
	size_t nchannels;
	/* Champion/challenger: with nvariants > 0 each account takes one
	 * variant of this step, chosen by policy_variant_for. */
	char *experiment; /* the experiment's name; NULL without variants */
	struct policy_variant *variants;
	size_t nvariants;
	uint32_t total_weight;
	/* {{ deadline }}: the customer's local date this many days after the
	 * message goes out; 0 = the step sets no deadline. */
	int deadline_days;
	/* "consequence": per locale; none = the step threatens nothing. */
	struct policy_text *consequence;
	size_t nconsequence;
	/* "fee": what taking this step charges (fee.h); NULL = nothing. A
	 * variant's step has none of its own: its base step's applies. */
	struct fee_rule *fee;
	/* A variant's own step has none: the base step's apply to it. */
};

/* One variant of a step: its name, weight and the step as it is sent to
 * the accounts it is assigned (the base step with the variant's
 * overrides of template, after_days and channels applied). */
struct policy_variant {
	char *name;
	uint32_t weight;
	struct policy_step step; /* has no variants of its own */
};

/* "cadence": the factor each risk band multiplies a track's step gaps by
 * (see policy_step_day); set 0 = none given here. */
struct policy_cadence {
	int set;
	double high, mid, low;
};

struct policy_track {
	char *name;
	/* match rules; empty rule matches everything */
	char *segment;
	int min_prior_cycles, max_prior_cycles; /* -1 = unbounded */
	char currency[4];
	int64_t min_balance; /* minor units of currency; 0 = any */
	struct policy_step *steps;
	size_t nsteps;
	char *on_broken_promise;       /* track a lapsed promise moves to; NULL: the policy's */
	double min_risk, max_risk;     /* the account's score; -1 = unbounded */
	struct policy_cadence cadence; /* unset: the policy's */
};

struct policy_minbal {
	char currency[4];
	int64_t minor;
};

/* When a channel may reach a customer, in the customer's local time. */
struct policy_window {
	char *channel;  /* NULL = the default window */
	int start, end; /* minutes after local midnight; start > end wraps */
	int weekdays_only;
};

/* A contact cap: at most max contacts over the rolling window. */
struct policy_cap {
	char *channel; /* NULL = all channels together */
	int max;
	int days;
};

/* After the customer was reached on channel, leave it alone for days. */
struct policy_rest {
	char *channel;
	int days;
};

struct preset;

struct policy {
	int grace_days;
	/* "preset": the jurisdiction it names (preset.h), owned; NULL = none. */
	struct preset *preset;
	struct policy_window window; /* default contact window */
	struct policy_window *channel_windows;
	size_t nchannel_windows;
	int *holidays; /* days since 1970-01-01 of local dates with no contact */
	size_t nholidays;
	struct policy_cap *caps;
	size_t ncaps;
	struct policy_rest *rests;
	size_t nrests;
	/* The policy set no caps (or no rests): the collections norm for
	 * calls was put in for a channel named "phone" until
	 * policy_bind_calls() names the channels that really make calls. */
	int caps_default, rests_default;
	int max_promise_days;
	/* Days an open dispute may take before the console marks it late
	 * (the complaint procedure's resolution target). */
	int dispute_target_days;
	int recheck_hours;   /* how soon a waiting case is looked at again */
	int step_gap_hours;  /* least time between two steps of one case */
	int quiet_max_hours; /* most a customer may block per week (quiet.h) */
	struct policy_minbal *min_balance;
	size_t nmin_balance;
	char *confirm_template;
	char *confirm_channels[POLICY_MAX_CHANNELS];
	size_t nconfirm_channels;
	struct policy_track *tracks;
	size_t ntracks;
	char *on_broken_promise; /* default of the tracks' own; NULL: stay */
	/* "fee_legal_max": the most one case's unwaived fees may come to,
	 * per currency; a currency not named has no bound but the caps. */
	struct fee_limits fee_legal_max;
	/* "risk": a score >= risk_high is the band "high", < risk_low "low",
	 * else "mid"; the poller recomputes a score older than
	 * risk_max_age_hours. uses_risk: some rule or cadence reads it (the
	 * claim then asks for it). */
	double risk_high, risk_low;
	int risk_max_age_hours;
	int uses_risk;
	struct policy_cadence cadence; /* the tracks' default; unset: none */
};

/* Load and validate; every problem goes to diag as file:line:col. NULL on error. */
struct policy *policy_load(const char *file, struct diag *diag);
/* The consequence text of st for a template in locale: the exact tag,
 * then its shorter tags, then "default"; NULL when there is none. */
const struct tmpl *policy_consequence(const struct policy_step *st, const char *locale);
/* The step of track whose delivery is step_no and renders template: that
 * step when it (or one of its variants) sends the template still (a
 * reload may have moved steps), else the track's first step that does;
 * NULL if none. A variant's deadline and consequence are its step's. */
const struct policy_step *policy_step_for(const struct policy *p, const char *track, int step_no,
					  const char *template);
void policy_free(struct policy *p);
/* The fee taking step step_no (1-based) of track tr charges in currency
 * on base, with `already` charged to the case (see fee_compute); 0 when
 * the step charges none. A variant's step charges its base step's fee. */
int64_t policy_step_fee(const struct policy *p, const struct policy_track *tr, int step_no,
			const char *currency, int64_t base, int64_t already, struct fee_calc *out);
/* The legal maximum of a case's fees in currency, or -1 for none. */
int64_t policy_fee_legal_max(const struct policy *p, const char *currency);

/* One earlier contact attempt of this account (the engine's history). */
struct policy_contact {
	const char *channel;
	int64_t at;
	int reached; /* the customer answered (phone) or replied */
};

/* What the engine sees of one case. */
struct policy_case {
	int64_t now;              /* unix seconds */
	const char *track;        /* already chosen track name, or NULL */
	int stage;                /* steps already taken */
	int paused;               /* state == paused */
	int64_t paused_until;     /* 0 = none */
	const char *pause_reason; /* "promise", "hardship", ...; NULL = none */
	int prior_cycles;         /* delinquency cycles in the last 12 months */
	const char *segment;
	const char *timezone; /* IANA */
	/* What is overdue (unpaid, undisputed, past due in the customer's
	 * local date), one entry per currency: the minimum balance and the
	 * track rules look at each currency on its own, never at a sum of
	 * two. With nowed 0, the single currency and balance below are used. */
	const struct owed *owed;
	size_t nowed;
	const char *currency;
	int64_t balance;                  /* minor units, overdue and undisputed */
	int64_t disputed;                 /* minor units, overdue and under dispute (> 0: some) */
	int due_year, due_month, due_day; /* oldest overdue undisputed invoice */
	const struct policy_contact *history; /* recent contacts, any order */
	size_t nhistory;
	/* The account's stable key (its external_ref): picks its variant of
	 * a step with variants. NULL: the first variant. */
	const char *account_key;
	const struct quiet *quiet; /* the customer's own quiet times; NULL = none */
	/* The account's risk score in [0, 1] (dunning.risk_score; 0 = pays on
	 * time, as an account with no history scores). */
	double risk;
};

/* The reason of a wait for the customer's own quiet times. */
#define POLICY_REASON_QUIET "customer quiet time"

enum policy_verdict { POLICY_WAIT, POLICY_SEND, POLICY_RESOLVE };

struct policy_action {
	enum policy_verdict verdict;
	const char *state; /* the case's state after this decision */
	const struct policy_track *track;
	const struct policy_step *step; /* POLICY_SEND; a variant's own step */
	int step_no;                    /* 1-based, POLICY_SEND */
	/* When the step at hand has variants (sent or waited for): its
	 * experiment and the variant the account takes; NULL otherwise. */
	const char *experiment;
	const struct policy_variant *variant;
	/* POLICY_SEND: the step's channels that may be used now (caps and
	 * rests applied); the others are skipped for this step. */
	const char *channels[POLICY_MAX_CHANNELS];
	size_t nchannels;
	int64_t next_at; /* when to look at the case again */
	/* A promise's date passed with the balance still owed: the track the
	 * case was on (a->track is where on_broken_promise moves it, or the
	 * same). NULL when no promise was broken in this decision. */
	const char *broken_from;
	const char *reason; /* static string, why */
	/* The case's risk band ("high", "mid", "low") and the factor its
	 * track's cadence multiplied the step gaps by (1: none). */
	const char *band;
	double cadence;
};

/* Pure: same inputs, same answer. 0 ok, -1 if the case is malformed. */
int policy_decide(const struct policy *p, const struct policy_case *c, struct policy_action *out);
/* Choose the track for a new case; NULL when none matches. */
const struct policy_track *policy_track_for(const struct policy *p, const struct policy_case *c);
const struct policy_track *policy_track_named(const struct policy *p, const char *name);
/* Which of the step's variants account_key takes, in [0, nvariants): the
 * first 8 bytes of SHA-256(experiment NUL account_key) modulo the total
 * weight, walked over the weights. The same account and experiment give
 * the same variant in every cycle, process and reload, whatever the
 * other steps. -1 when the step has no variants. */
int policy_variant_index(const struct policy_step *st, const char *account_key);
/* The step as account_key receives it: its variant's step, or st itself
 * without variants (*v is then NULL). */
const struct policy_step *policy_variant_for(const struct policy_step *st, const char *account_key,
					     const struct policy_variant **v);
/* The band of a risk score under p's thresholds: "high", "mid" or "low". */
const char *policy_risk_band(const struct policy *p, double risk);
/* What t's cadence (else the policy's) multiplies step gaps by for risk. */
double policy_cadence_factor(const struct policy *p, const struct policy_track *t, double risk);
/* 1 when risk is within t's min_risk and max_risk. */
int policy_risk_matches(const struct policy_track *t, double risk);
/* The day (past due) step idx of t comes on for account_key at risk: the
 * first step's day as written (its variant's), each later one that many
 * days after it times the cadence factor, rounded, and always at least a
 * day after the step before. Without a cadence, the step's own day. */
int policy_step_day(const struct policy *p, const struct policy_track *t, size_t idx,
		    const char *account_key, double risk);
/* How many days of contact history the engine needs: the longest cap or
 * rest window (at least 1). Feeding less lets a long cap overflow. */
int policy_history_days(const struct policy *p);
/* Earliest instant >= t at which channel may contact someone in zone
 * (its window, weekdays, holidays); -1 on an unknown zone. */
int64_t policy_next_allowed(const struct policy *p, const char *channel, const char *zone,
			    int64_t t);
/* The same, and outside the customer's quiet times q (NULL = none). */
int64_t policy_next_open(const struct policy *p, const char *channel, const char *zone,
			 const struct quiet *q, int64_t t);

/* Give the default call caps and rests (if the policy set none) to the
 * channels whose module makes calls, by their instance names (borrowed).
 * 0, or -1 when memory ran out (the policy is then left as it was). */
int policy_bind_calls(struct policy *p, const char *const *channels, size_t n);

#endif
