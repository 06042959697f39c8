#include "phone.h"

#include <ctype.h>
#include <stddef.h>

int phone_normalise(char *s)
{
	size_t o = 0, digits = 0;

	if (!*s)
		return 0;
	for (size_t i = 0; s[i]; i++) {
		char ch = s[i];
		if (ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')')
			continue;
		if (ch == '+' && o == 0) {
			s[o++] = ch;
			continue;
		}
		if (!isdigit((unsigned char)ch))
			return -1;
		s[o++] = ch;
		digits++;
	}
	s[o] = '\0';
	return s[0] == '+' && digits >= 8 && digits <= 15 && s[1] != '0' ? 0 : -1;
}
