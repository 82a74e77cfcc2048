/*
 * mdesc.h: writing text taken from a trace into Markdown (the report,
 * out_md.c) so that it renders as text, whatever it holds.
 *
 * Outside code: & < > become HTML entities, the characters Markdown gives
 * a meaning to are backslash-escaped, control characters and bytes that are
 * not UTF-8 are shown as \xNN.  In code blocks: a backtick fence longer
 * than the longest run of backticks in the content (CommonMark), and the
 * same \xNN for control characters.  Nothing here redacts: callers pass
 * text already redacted.
 */
#ifndef CX_MDESC_H
#define CX_MDESC_H

#include <stddef.h>
#include <stdio.h>

#define CX_MD_NL_BR     0x01    /* a newline becomes <br> (else a space) */

/* Inline text: s[0..n) on one line, escaped (| too: fit for table cells). */
void     cx_md_text(FILE *f, const char *s, size_t n, int flags);
void     cx_md_texts(FILE *f, const char *s, int flags);    /* C string */
/* Text inside raw HTML (a <summary>): entities only, one line. */
void     cx_md_html(FILE *f, const char *s, size_t n);
/* The fence length for content s[0..n): 3, or one more than its longest
 * run of backticks. */
size_t   cx_md_fence_len(const char *s, size_t n);
/*
 * A fenced code block holding s[0..n) (info may be NULL or a word such as
 * "json"), with a blank line before and after; a final newline of s is
 * not doubled.
 */
void     cx_md_code(FILE *f, const char *info, const char *s, size_t n);

#endif
