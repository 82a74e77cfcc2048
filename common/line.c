/* line.c: one line of text formatted into a fixed buffer (line.h). */
#include <stdio.h>

#include "line.h"

size_t
cx_vline(char *line, size_t cap, const char *fmt, va_list ap)
{
	int n;

	if (cap < 2)
		return 0;
	n = vsnprintf(line, cap - 1, fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n > cap - 2)
		n = (int)(cap - 2);
	line[n++] = '\n';
	return (size_t)n;
}
