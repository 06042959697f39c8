/* Rendering one message: the template a channel's kind and the customer's
 * locale pick, every variable it may use ({{ amount }}, {{ fee }},
 * {{ deadline }}, {{ consequence }}, {{ sms_name }}, ...), and the parts
 * the channel can carry (subject, text, HTML). Pure: no loop, no I/O; the
 * dispatcher calls it for each leased row, and so can a unit test with a
 * row built by hand. */
#ifndef DUNN_RENDER_H
#define DUNN_RENDER_H

#include <stdint.h>

#include "config.h"
#include "tmplset.h"

/* What a message says about its account, as the lease reads it. Strings
 * are borrowed (from the PGresult) and never NULL: "" when absent. */
struct render_row {
	int64_t account_id; /* signs the pay link */
	const char *name, *account_ref;
	const char *locale;   /* the customer's BCP 47 tag */
	const char *timezone; /* IANA zone; UTC when it does not resolve */
	const char *template_name;
	const char *overdue, *balance; /* owed lists, "USD:1000,KRW:5000" (owed.h) */
	const char *oldest_due;        /* YYYY-MM-DD, "" when nothing is due */
	int64_t invoice_count;
	/* A notice about one invoice (a payment, a dispute) shows its amount. */
	int has_invoice;
	int64_t invoice_amount;
	const char *invoice_currency, *invoice_ref;
	const char *dispute_ref, *resolution;
	const char *promise_date; /* YYYY-MM-DD or "" */
	const char *receipt;      /* a receipt's settled amounts, owed list or "" */
	const char *fees;         /* the case's fees still owed, owed list or "" */
	const char *track;        /* the step that sends it: track and number */
	int step;
};

/* What rendering needs besides the row. */
struct render_env {
	const struct config *cfg; /* brand, company, public_url, money styles, policy */
	const struct tmplset *templates;
	const char *link_secret; /* signs the pay link; NULL or "": an empty token */
	int64_t now;             /* the run's clock, unix seconds */
};

/* The rendered parts. render_message fills it; render_out_free frees
 * subject, text and html (the caller owns them until then). */
#define RENDER_URL_MAX 512
struct render_out {
	char *subject; /* NULL unless the template has one and caps carry it */
	char *text;
	char *html;                   /* NULL unless caps carry CHANNEL_CAP_HTML */
	char pay_url[RENDER_URL_MAX]; /* {{ pay_url }}: public_url/p/<token> */
};

enum render_rc {
	RENDER_OK = 0,
	RENDER_NO_TEMPLATE = -1, /* no template of that name and kind for the locale */
	RENDER_NOMEM = -2,
};

/* Render row's template of kind (a channel module's template kind) for a
 * channel carrying caps (enum channel_cap bits). RENDER_OK with out
 * filled, else an enum render_rc with nothing left to free in out. */
int render_message(const struct render_env *env, const struct render_row *row, const char *kind,
		   unsigned caps, struct render_out *out);
void render_out_free(struct render_out *out);

#endif
