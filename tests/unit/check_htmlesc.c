/* Unit tests for lib/htmlesc.c: every byte, against the five characters
 * the HTML and XML specifications say must be written as references in
 * text and quoted attribute values; every other byte stands for itself. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "htmlesc.h"

START_TEST(test_every_byte)
{
	static const struct {
		int c;
		const char *ref;
	} want[] = {{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}};

	for (int c = 0; c < 256; c++) {
		const char *ref = NULL;
		for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
			if (want[k].c == c)
				ref = want[k].ref;
		const char *got = htmlesc_entity(c);
		if (ref)
			ck_assert_msg(got && !strcmp(got, ref), "byte %d: %s", c,
				      got ? got : "NULL");
		else
			ck_assert_msg(got == NULL, "byte %d escaped as %s", c, got);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("htmlesc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_every_byte);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
