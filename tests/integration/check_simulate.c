/* dunnctl simulate: the same engine over the real book, no sends; and the
 * difference a candidate policy would make. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice,alice@customer.test,,en-US,America/New_York,retail\n"
	"A-2,민수,minsu@customer.test,,ko-KR,Asia/Seoul,retail\n";
static const char INVOICES[] =
	"invoice_ref,account_ref,amount,currency,due_date,description\n"
	"INV-1,A-1,49.90,USD,2026-11-01,Plan\n"
	"INV-2,A-2,120000,KRW,2026-11-01,Plan\n";
static const char TWO_STEPS[] =
	"{\"grace_days\": 3, \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
	" {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	" {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"final\"}]}]}\n";

START_TEST(simulate_and_compare)
{
	char *dir = tu_tmpdir(), *conninfo = tu_newdb("sim"), *cfg, *alt;
	PGconn *db;

	cfg = tu_config(dir, conninfo, NULL, NULL);
	tu_migrate(cfg);
	tu_import(cfg, dir, ACCOUNTS, INVOICES);
	tu_mail_clear();

	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 30 --at 2026-11-02T00:00:00Z 2>/dev/null",
			       cfg),
			 0);
	/* Three steps of the first-time track for each account: day 3 (Nov 4),
	 * day 10 (Nov 11) and day 21 (Nov 22), in the customer's morning. */
	ck_assert_ptr_nonnull(strstr(tu_output(), "2026-11-04  first_time          1  email"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "2026-11-11  first_time          2  email"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "simulate: 6 messages would go out"));
	/* Nothing was written. */
	db = tu_connect(conninfo);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.cases"), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), 0);
	ck_assert_int_eq(tu_mail_count(), 0);

	alt = tu_file(dir, "two-steps.json", TWO_STEPS);
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 30 --policy %s "
			       "--at 2026-11-02T00:00:00Z 2>/dev/null",
			       cfg, alt),
			 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "current policy 6 messages, new policy 4 (-2)"));
	ck_assert_ptr_null(strstr(tu_output(), "2026-11-04")); /* step 1 unchanged */

	/* The simulation agrees with the daemon walking the same days. */
	for (int d = 2; d <= 31; d++)
		for (int h = 0; h < 24; h += 3)
			ck_assert_int_eq(tu_sh("dunnd -c %s --once --at 2026-%s-%02dT%02d:00:00Z",
					       cfg, d <= 30 ? "11" : "12", d <= 30 ? d : 1, h),
					 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"),
			 6);
	PQfinish(db);
	free(alt);
	tu_teardown(NULL, dir, cfg, conninfo);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("simulate");
	TCase *tc = tcase_create("simulate");

	tcase_set_timeout(tc, getenv("DUNN_WRAP") ? 1800 : 300);
	tcase_add_test(tc, simulate_and_compare);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
