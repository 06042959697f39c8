/* dunnctl: migrate the schema, import a book, record payments and steer
 * cases. Talks to PostgreSQL directly; never to the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "brand.h"
#include "preset.h"
#include "smsfit.h"
#include "tz.h"

struct command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *usage;
	const char *help;
};

static int cmd_check_config(struct ctl *c, int argc, char **argv);

static const struct command commands[] = {
	{"migrate", ctl_migrate, "migrate",
	 "Apply pending migrations in order, each in its own transaction.\n"
	 "Refuses to run if an applied migration file was edited."},
	{"check-config", cmd_check_config, "check-config",
	 "Validate the configuration, policy and templates; exit 0 or 1."},
	{"import", ctl_import, "import accounts|invoices PATH.csv",
	 "Upsert accounts or invoices by reference from a CSV export (header row).\n"
	 "accounts: account_ref,name,email,phone,locale,timezone,segment\n"
	 "invoices: invoice_ref,account_ref,amount,currency,due_date,description\n"
	 "amount is in major units as on the bill (49.90 USD, 120000 KRW).\n"
	 "All rows or none: every bad row is reported as PATH:line: message."},
	{"pay", ctl_pay,
	 "pay INVOICE_REF [--amount X] [--currency CUR] [--ref ID] [--at ISO8601] [--json]",
	 "Record a payment in the ledger (when no billing system writes it). X is in\n"
	 "major units as on the bill; without --amount, the rest of the invoice.\n"
	 "--currency, when given, must be the invoice's. --ref is the payment's own\n"
	 "id: the same --ref recorded twice counts once. More than is owed, another\n"
	 "currency or an unknown invoice is refused and nothing changes. Queued\n"
	 "reminders are cancelled once nothing is overdue; the daemon resolves the\n"
	 "case and sends the confirmation."},
	{"payments", ctl_payments, "payments list [--limit N] [--json]",
	 "The payment providers' latest webhook events (Stripe, Adyen, generic), the\n"
	 "newest first (50 unless --limit): when each came, from which instance, its\n"
	 "id and type, the invoice it names, the amount and what became of it\n"
	 "(recorded, already_recorded, nothing_owed, unknown_invoice, dispute, ...)."},
	{"status", ctl_status, "status [--json]",
	 "Show cases by state, the outbox (depth by channel and status, age of the\n"
	 "oldest due row, rows leased by a process that no longer holds them and when\n"
	 "they go out again), deliveries of the last hour by status, the last 10\n"
	 "delivery errors, open phone tasks and open disputes."},
	{"promise", ctl_promise, "promise ACCOUNT_REF --until YYYY-MM-DD [--at ISO8601] [--json]",
	 "Record a promise to pay: reminders pause until the end of that day in the\n"
	 "customer's time zone (at most max_promise_days ahead), then resume by\n"
	 "themselves if the account is still unpaid: a broken promise, which moves\n"
	 "the case to the track the policy's on_broken_promise names (a\n"
	 "promise_broken event). The customer gets an acknowledgement on the\n"
	 "confirmation channels."},
	{"pause", ctl_pause,
	 "pause ACCOUNT_REF [--reason hardship|manual] [--until YYYY-MM-DD] [--note TEXT] [--json]",
	 "Pause the account's open case (a hardship plan or a manual hold), until a\n"
	 "date or until 'dunnctl resume'."},
	{"resume", ctl_resume, "resume ACCOUNT_REF [--at ISO8601] [--json]",
	 "End a pause now; the engine looks at the case on its next cycle."},
	{"dispute", ctl_dispute,
	 "dispute INVOICE_REF --reason TEXT [--detail TEXT] [--channel ops|web|phone] [--json]\n"
	 "  dunnctl -c FILE dispute investigate|uphold|reject DISPUTE_REF [--note TEXT] [--json]\n"
	 "  dunnctl -c FILE dispute show DISPUTE_REF [--json]",
	 "Open a dispute on one invoice: dunning of that invoice pauses (the rest of\n"
	 "the account is still dunned) and the customer gets an acknowledgement with\n"
	 "the dispute reference. 'uphold' writes the invoice down to zero, 'reject'\n"
	 "resumes dunning of it; either way the customer is told the outcome."},
	{"tasks", ctl_tasks,
	 "tasks list [--all] [--kind call|review] [--json]\n"
	 "  dunnctl -c FILE tasks claim TASK_ID --as NAME [--json]\n"
	 "  dunnctl -c FILE tasks complete TASK_ID --outcome OUTCOME [--json] [--at ISO8601]\n"
	 "    OUTCOME: reached | no_answer | promise_to_pay --until YYYY-MM-DD |\n"
	 "             dispute --invoice REF --reason TEXT | wrong_number | callback --at TIME\n"
	 "    review tasks: opt_out | not_opt_out",
	 "The call team's queue. 'list' shows open tasks (with --all, done ones too)\n"
	 "by due time; 'claim' assigns one to a caller. 'complete' records the call:\n"
	 "reached (no further calls for the policy's rest_after_reached), no_answer,\n"
	 "promise_to_pay (pauses the case as 'dunnctl promise' does), dispute (opens\n"
	 "one as 'dunnctl dispute' does), wrong_number (the number is suppressed for\n"
	 "sms and phone), callback (the task is due again at TIME, not completed).\n"
	 "Review tasks (--kind review) are SMS replies that name an opt-out word\n"
	 "without being one (\"STOP please\"): nobody calls on them, texts to the\n"
	 "number are held, and a person decides: opt_out (the number is opted out\n"
	 "of SMS) or not_opt_out (texts resume; the reply becomes a call task).\n"
	 "Every outcome is written to dunning.events."},
	{"report", ctl_report,
	 "report [--by variant] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]\n"
	 "  dunnctl -c FILE report disputes|page [ARGS]",
	 "The funnel per track, step and channel for reminders created from --from to\n"
	 "--to inclusive (UTC days; default the last 30 days): sent, delivered, failed\n"
	 "and the error rate (failed / (sent + failed)), opt-outs (an opt-out of the\n"
	 "address after the reminder), and payments after it: accounts that paid within\n"
	 "7 and 30 days and the amount recovered per currency (the ledger's payments,\n"
	 "partial ones included, net of refunds). A payment counts once,\n"
	 "for the last reminder the account got before it (last touch). Deliveries\n"
	 "removed by 'purge' still count, with their payments (dunning.report_daily\n"
	 "and dunning.report_daily_paid). Late fees per currency: charged, waived\n"
	 "and paid (dunning.fees.paid_at, as the billing system marks it) on those days.\n"
	 "--by variant: per experiment and variant (default every case since the\n"
	 "start; --from/--to pick the days cases joined): cases, reminders, sent,\n"
	 "delivered, opt-outs, disputes, cases paid within 7 and 30 days of joining\n"
	 "and the amount recovered per currency, each rate with its 95% Wilson\n"
	 "interval, and a two-proportion z-test of each variant against the\n"
	 "policy's first one that says plainly when a difference is not significant."},
	{"purge", ctl_purge, "purge [--older-than DAYS] [--dry-run] [--json]",
	 "Retention: for cases resolved more than DAYS ago (default retention_days,\n"
	 "730) erase personal data: the account's name, email and phone when it has no\n"
	 "open case and no unpaid invoice, delivery addresses, inbound reply texts and\n"
	 "call notes; strip older events' detail down to ids; then fold those cases'\n"
	 "deliveries older than DAYS, and the payments the report gives them, into\n"
	 "dunning.report_daily and report_daily_paid and delete them, so 'report'\n"
	 "shows the same figures. Open cases, their deliveries and events are never\n"
	 "touched. --dry-run counts what would change and changes nothing."},
	{"plan", ctl_plan,
	 "plan ACCOUNT_REF --instalments N [--every DAYS] [--first YYYY-MM-DD]\n"
	 "  dunnctl -c FILE plan pay PLAN_ID | plan show PLAN_ID",
	 "A payment plan for a customer in hardship: the open balance is split into N\n"
	 "instalments (every 30 days by default, the first a week from now unless\n"
	 "--first). Reminders pause until each instalment's due day; 'plan pay'\n"
	 "records the next instalment and the last one settles the invoices. A\n"
	 "missed instalment lets the pause lapse: dunning resumes by itself and the\n"
	 "plan is marked broken."},
	{"quiet", ctl_quiet,
	 "quiet ACCOUNT_REF [--show] [--json]\n"
	 "  dunnctl -c FILE quiet ACCOUNT_REF --set SPEC | --clear [--at ISO8601] [--json]",
	 "The weekly times the customer does not want to be contacted, in the\n"
	 "account's own time zone; no reminder or notice goes then on any channel\n"
	 "(acknowledgements of the customer's own act excepted). SPEC is a comma-\n"
	 "separated list of DAYS [HH:MM-HH:MM]: DAYS is mon..sun, a range such as\n"
	 "mon-fri, or daily, weekdays, weekends; no time means the whole day; a\n"
	 "range past midnight (22:00-07:00) runs into the next day. Example:\n"
	 "\"mon-fri 12:00-13:00,sun\". At most the policy's quiet_max_hours_per_week\n"
	 "(default 28) may be blocked. --clear removes them; every change is written\n"
	 "to dunning.events. The customer's page (/prefs) sets the same times."},
	{"risk", ctl_risk, "risk ACCOUNT_REF [--refresh] [--at ISO8601] [--json]",
	 "The account's risk score, 0 (pays on time) to 1, from its own payment\n"
	 "history over the 12 months before --at: prior cycles, days from due date to\n"
	 "payment, promises and plans kept and broken, bounced reminders and disputes\n"
	 "upheld (the formula: dunnd.json(5), RISK). Shows the inputs, when it was\n"
	 "computed and the policy's band. A score older than risk.max_age_hours, or\n"
	 "any with --refresh, is computed again and stored, as the poller does."},
	{"staff", ctl_staff,
	 "staff add NAME --role agent|supervisor|admin [--locale en|ko|ja|zh] [--password-stdin]\n"
	 "  dunnctl -c FILE staff list [--json] | staff disable NAME\n"
	 "  dunnctl -c FILE staff passwd NAME [--password-stdin]",
	 "The people who sign in to the staff console (http.admin_listen, /console/).\n"
	 "agent: the call queue and cases; supervisor: also disputes and the dashboard;\n"
	 "admin: everything. The password (10 to 1024 characters) is read from the\n"
	 "terminal, or with --password-stdin as one line of standard input, and stored\n"
	 "as a yescrypt hash. --locale is the console's language for that person (en\n"
	 "unless given; they can change it in the console). 'disable' and 'passwd' end\n"
	 "the person's open sessions. Every change is written to dunning.events."},
	{"fee", ctl_fee,
	 "fee list ACCOUNT_REF|--case CASE_ID [--json]\n"
	 "  dunnctl -c FILE fee waive FEE_ID|--case CASE_ID --reason TEXT [--json]",
	 "The late fees policy steps charged (dunning.fees): per fee line its case,\n"
	 "invoice, step, amount, when, and whether it is owed, paid or waived (by whom\n"
	 "and why); a step's fee is one line per overdue invoice, split by remainder.\n"
	 "'waive' waives one fee, or every unpaid fee of a case, with a reason (a\n"
	 "fee_waived event); the next message and the page no longer count it. A\n"
	 "dispute upheld waives the fee lines of its own invoice by itself."},
	{"simulate", ctl_simulate, "simulate [--days N] [--policy FILE] [--at ISO8601] [--json]",
	 "Run the policy engine over the real book for N days (default 30) with no\n"
	 "sends and print per day, track, step, channel, template and variant what\n"
	 "would go out; each day is the customer's local date. With --policy, run that\n"
	 "candidate beside the current policy and print only the differences (a\n"
	 "template, channel, variant, day or count, and messages moved to another hour\n"
	 "of the same day), to review a change before reloading it. Assumes nobody pays,\n"
	 "promises or replies during the simulated days. A policy with risk rules\n"
	 "(min_risk, max_risk, cadence) also splits rows by each account's risk band\n"
	 "(its stored score, else one computed from its history; nothing is stored),\n"
	 "on the days its cadence gives; a change of track, band or day is a difference."},
	{NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: dunnctl -c FILE COMMAND [ARGS]\n\nCommands:\n");
	for (const struct command *k = commands; k->name; k++)
		fprintf(out, "  %s\n", k->usage);
	fprintf(out, "\n'dunnctl COMMAND --help' describes one command.\n");
}

PGresult *ctl_exec(struct ctl *c, const char *sql, int n, const char *const *params)
{
	/* Without parameters use the simple protocol: it takes many statements. */
	PGresult *res = n ? PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL, 0)
			  : PQexec(c->conn, sql);

	if (res &&
	    (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK))
		return res;
	fprintf(stderr, "dunnctl: %s", PQerrorMessage(c->conn));
	PQclear(res);
	return NULL;
}

int ctl_take_flag(int *argc, char **argv, const char *name)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], name) != 0)
			continue;
		memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof *argv);
		*argc -= 1;
		return 1;
	}
	return 0;
}

int ctl_json_print(json_t *doc)
{
	int rc = doc ? json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) : -1;

	if (rc == 0)
		putchar('\n');
	json_decref(doc);
	return rc == 0 ? 0 : 1;
}

const char *ctl_take_opt(int *argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < *argc; i++) {
		if (strcmp(argv[i], name) != 0)
			continue;
		const char *v = argv[i + 1];
		memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2 + 1) * sizeof *argv);
		*argc -= 2;
		return v;
	}
	return NULL;
}

int ctl_take_at(int *argc, char **argv, int64_t *at)
{
	const char *v;

	for (int i = 1; i < *argc; i++)
		if (strcmp(argv[i], "--at") == 0 && i + 1 >= *argc) {
			fprintf(stderr, "dunnctl: --at needs an ISO 8601 instant\n");
			return -1;
		}
	v = ctl_take_opt(argc, argv, "--at");
	*at = (int64_t)time(NULL);
	if (v && tz_parse_iso8601(v, at) != 0) {
		fprintf(stderr, "dunnctl: --at needs an ISO 8601 instant: %s\n", v);
		return -1;
	}
	return 0;
}

static int cmd_check_config(struct ctl *c, int argc, char **argv)
{
	struct diag warn = {0};

	(void)argc;
	(void)argv;
	/* Looser than the jurisdiction's preset: said, not refused. */
	preset_warnings(c->cfg->policy, c->cfg->policy_path, &warn);
	/* A sender every text or letter cannot name: said, not refused. */
	brand_warnings(c->cfg, &warn);
	smsfit_warnings(c->cfg, &warn);
	diag_print(&warn, stderr);
	diag_free(&warn);
	printf("%s: configuration OK (%zu tracks, %zu templates, %zu channels)\n", c->config_path,
	       c->cfg->policy->ntracks, tmplset_count(c->cfg->templates), c->cfg->nchannels);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c = {0};
	struct diag diag = {0};
	const struct command *cmd;
	int i = 1, rc;

	/* Names and texts from outside must not drive the terminal. */
	if (ctl_out_escape() != 0) {
		perror("dunnctl: output");
		return 1;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("dunnctl %s\n", DUNN_VERSION);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "-c")) {
		c.config_path = argv[2];
		i = 3;
	}
	if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (cmd = commands; cmd->name; cmd++)
		if (!strcmp(cmd->name, argv[i]))
			break;
	if (!cmd->name) {
		fprintf(stderr, "dunnctl: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}
	for (int k = i + 1; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			printf("Usage: dunnctl -c FILE %s\n\n%s\n", cmd->usage, cmd->help);
			return 0;
		}
	if (!c.config_path) {
		fprintf(stderr, "dunnctl: -c FILE is required\n");
		return 2;
	}
	c.cfg = config_load(c.config_path, &diag);
	diag_print(&diag, stderr);
	diag_free(&diag);
	if (!c.cfg)
		return 1;
	if (cmd->run != cmd_check_config) {
		c.conn = PQconnectdb(c.cfg->conninfo);
		if (PQstatus(c.conn) != CONNECTION_OK) {
			fprintf(stderr, "dunnctl: cannot connect: %s", PQerrorMessage(c.conn));
			PQfinish(c.conn);
			config_free(c.cfg);
			return 1;
		}
		PQsetClientEncoding(c.conn, "UTF8");
	}
	rc = cmd->run(&c, argc - i, argv + i);
	PQfinish(c.conn);
	config_free(c.cfg);
	return rc;
}
