/* jsonstr.c: JSON string escaping. */
#include <stdio.h>
#include <string.h>

#include "jsonstr.h"

char *
json_escape(char *out, size_t outlen, const char *s, size_t len)
{
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		const char *e = NULL;
		size_t el;

		switch (c) {
		case '"':  e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", c);
				e = tmp;
			}
		}
		el = e ? strlen(e) : 1;
		if (o + el + 4 >= outlen) {
			if (outlen > 4) {
				o = o < outlen - 4 ? o : outlen - 4;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (e) {
			memcpy(out + o, e, el);
			o += el;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}
