/* Unit tests for lib/texthtml.c: every byte escaped as lib/htmlesc.c
 * says, a line break <br>, a blank line a new paragraph, carriage
 * returns dropped; the result is a whole document the caller frees. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "htmlesc.h"
#include "texthtml.h"

#define HEAD "<!DOCTYPE html><html><body><p>"
#define TAIL "</p></body></html>\n"

static void expect(const char *text, const char *body)
{
	char *got = texthtml_from_text(text);
	size_t n = strlen(HEAD) + strlen(body) + strlen(TAIL) + 1;
	char *want = malloc(n);

	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(want);
	strcpy(want, HEAD);
	strcat(want, body);
	strcat(want, TAIL);
	ck_assert_msg(!strcmp(got, want), "text \"%s\": got \"%s\", want \"%s\"", text, got, want);
	free(want);
	free(got);
}

START_TEST(test_empty)
{
	expect("", "");
}
END_TEST

/* Each byte 1..255 alone: its entity, itself, or the line rules. */
START_TEST(test_every_byte)
{
	for (int c = 1; c < 256; c++) {
		char text[2] = {(char)c, '\0'};
		const char *ent = htmlesc_entity(c);

		if (c == '\n')
			expect(text, "<br>\n");
		else if (c == '\r')
			expect(text, "");
		else if (ent)
			expect(text, ent);
		else
			expect(text, text);
	}
}
END_TEST

START_TEST(test_lines)
{
	expect("a\nb", "a<br>\nb");
	expect("a\n\nb", "a</p>\n<p>b");
	expect("a\n\n\nb", "a</p>\n<p><br>\nb");
	expect("a\n\n\n\nb", "a</p>\n<p></p>\n<p>b");
	expect("a\r\nb", "a<br>\nb");
	/* A CRLF template (tmplset accepts them) has paragraphs too. */
	expect("a\r\n\r\nb", "a</p>\n<p>b");
	expect("a\r\n\r\n\r\nb", "a</p>\n<p><br>\nb");
	expect("a\n\r\nb", "a</p>\n<p>b");
	expect("a\n\rb", "a<br>\nb");
	expect("a\n", "a<br>\n");
	expect("\n\n", "</p>\n<p>");
	expect("<b>&\"x'</b>", "&lt;b&gt;&amp;&quot;x&#39;&lt;/b&gt;");
	/* UTF-8 passes through byte for byte. */
	expect("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
}
END_TEST

/* Worst cases for the buffer's size: every byte the longest entity,
 * every pair of bytes a paragraph; ASan checks the writes. */
START_TEST(test_longest)
{
	static const char fill[] = "\"\n\n<";

	for (size_t k = 0; k < sizeof fill - 1; k++) {
		for (size_t len = 0; len < 300; len += 7) {
			char *text = malloc(len + 1);
			char *got;

			ck_assert_ptr_nonnull(text);
			memset(text, fill[k], len);
			text[len] = '\0';
			got = texthtml_from_text(text);
			ck_assert_ptr_nonnull(got);
			ck_assert(strncmp(got, HEAD, strlen(HEAD)) == 0);
			ck_assert(strlen(got) >= strlen(TAIL));
			ck_assert_str_eq(got + strlen(got) - strlen(TAIL), TAIL);
			free(got);
			free(text);
		}
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("texthtml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_every_byte);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_longest);
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
