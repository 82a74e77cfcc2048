/*
 * jsonobj.h: the recording side's one JSON builder, for the payloads of
 * trace frames (open, route, note, error, process, ...).  It writes into
 * a buffer the caller owns and never allocates, so the preload may use it
 * on its data path as the relay, the probe and the CLI do.
 *
 * The result is always one valid JSON object, whatever was added: a
 * string that does not fit is cut and ends in "..."; any other value that
 * does not fit is left out; both set cut.  Containers left open are
 * closed by cx_jobj_end.  Keys and strings are escaped (control bytes as
 * \u00XX); valid UTF-8 is copied, and a byte that is not part of valid
 * UTF-8 is written as \u00XX (read as Latin-1): always valid JSON, no
 * byte lost.
 *
 *	char b[512];
 *	struct cx_jobj j;
 *	cx_jobj_begin(&j, b, sizeof(b));
 *	cx_jobj_str(&j, "peer", "127.0.0.1:443");
 *	cx_jobj_u64(&j, "seq", 3);
 *	cx_writer_put(..., b, cx_jobj_end(&j));   -> {"peer":"127.0.0.1:443","seq":3}
 */
#ifndef CX_JSONOBJ_H
#define CX_JSONOBJ_H

#include <stddef.h>
#include <stdint.h>

#define CX_JOBJ_DEPTH   8       /* containers open at once, the outer one included */

struct cx_jobj {
	char    *p;             /* the caller's buffer; NUL-terminated */
	size_t   cap;
	size_t   len;
	int      depth;         /* containers open */
	char     close[CX_JOBJ_DEPTH];  /* their closing bytes */
	int      skip;          /* containers left out (no room) still open */
	uint8_t  first;         /* nothing written yet in the innermost */
	uint8_t  cut;           /* something was cut or left out */
};

/* Start an object in buf[0..cap); cap must be at least 3 ("{}" and NUL). */
void    cx_jobj_begin(struct cx_jobj *j, char *buf, size_t cap);

/*
 * Members.  key is the member's name inside an object and must be NULL
 * inside an array.  s NULL: the member is left out (no null is written).
 */
void    cx_jobj_str(struct cx_jobj *j, const char *key, const char *s);
void    cx_jobj_strn(struct cx_jobj *j, const char *key, const char *s, size_t n);
void    cx_jobj_i64(struct cx_jobj *j, const char *key, int64_t v);
void    cx_jobj_u64(struct cx_jobj *j, const char *key, uint64_t v);
void    cx_jobj_bool(struct cx_jobj *j, const char *key, int v);
/* A value that is already JSON (a number with decimals, a nested object). */
void    cx_jobj_raw(struct cx_jobj *j, const char *key, const char *json);

/* Open an object or an array as the member key; cx_jobj_close ends it. */
void    cx_jobj_object(struct cx_jobj *j, const char *key);
void    cx_jobj_array(struct cx_jobj *j, const char *key);
void    cx_jobj_close(struct cx_jobj *j);

/* Close what is open; returns the length of the JSON in the buffer. */
size_t  cx_jobj_end(struct cx_jobj *j);

#endif
