/* log.h: one-line diagnostics on stderr, relayd/tmux style. errno is kept. */
#ifndef CX_LOG_H
#define CX_LOG_H

void log_init(const char *prog);        /* "cxrec: run" */
void log_set_debug(int on);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
