/*
 * escape.h: writing text taken from a trace for a target so that it shows
 * as text, whatever it holds: a terminal, Markdown, HTML.  (JSON strings
 * are written by jsonw.h, and JSON output by json.h.)  One place for each
 * target's rules; nothing here redacts: callers pass text already redacted
 * (output.h's cx_out_redact).
 *
 * Everywhere, control characters and bytes that are not UTF-8 (C1
 * controls, U+0080..U+009F, included) are shown as \xNN, so nothing in a
 * trace can drive a terminal or hide in a page.
 */
#ifndef CX_ESCAPE_H
#define CX_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* --- a terminal (text and conversation outputs) ----------------------- */

/*
 * s[0..n): controls but tab as \xNN; with nl set a newline starts a new
 * line with prefix (a CR before it is dropped), otherwise it shows as \n.
 */
void     cx_out_term(FILE *f, const char *s, size_t n, int nl,
    const char *prefix);

/* --- Markdown (the report, the conversation's Markdown form) --------- */

/*
 * Inline text, escaped so that it renders as text: & < > become HTML
 * entities, the characters Markdown gives a meaning to are
 * backslash-escaped (| too: fit for table cells), controls are \xNN.
 */
#define CX_MD_NL_BR     0x01    /* a newline becomes <br> (else a space) */

/* s[0..n) on one line (a table cell, a heading, a list item). */
void     cx_md_text(FILE *f, const char *s, size_t n, int flags);
void     cx_md_texts(FILE *f, const char *s, int flags);    /* C string */
/*
 * Prose in a block (a paragraph, a blockquote): as cx_md_text, and what
 * would start a block at a line's start is defused too (leading blanks as
 * &#32; and &#9;, "1." as "1\.", = and : escaped).  With nl set a newline
 * becomes a hard line break ("  \n") and the next line starts with prefix
 * ("> " in a blockquote); otherwise it shows as \n.
 */
void     cx_md_prose(FILE *f, const char *s, size_t n, int nl,
    const char *prefix);
/* Text inside raw HTML (a <summary>): entities only, one line. */
void     cx_md_html(FILE *f, const char *s, size_t n);
/* The fence length for content s[0..n): 3, or one more than its longest
 * run of backticks (CommonMark). */
size_t   cx_md_fence_len(const char *s, size_t n);
/*
 * A fenced code block holding s[0..n) (info may be NULL or a word such as
 * "json"), with a blank line before and after; a final newline of s is
 * not doubled.  Inside, only controls are escaped.
 */
void     cx_md_code(FILE *f, const char *info, const char *s, size_t n);

/* --- HTML (the HTML report) ------------------------------------------ */

/*
 * Text for an element's content or a quoted attribute's value: & < > " '
 * as entities; tab and newline kept (a CR before a newline dropped); other
 * controls and bytes that are not UTF-8 as \xNN.
 */
void     cx_html_text(FILE *f, const char *s, size_t n);
void     cx_html_texts(FILE *f, const char *s);     /* C string, or NULL */
/*
 * JSON text (valid JSON) for the content of a <script type=
 * "application/json">: "<", ">", "&", controls and bytes that are not
 * UTF-8 as \u00XX escapes (in valid JSON they can only be inside
 * strings, where the escape means the character), so that nothing in it
 * can end the element or be read as markup; JSON.parse gives the value.
 */
void     cx_html_json(FILE *f, const char *s, size_t n);

#endif
