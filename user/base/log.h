/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Levelled log lines on stderr: "TIME LEVEL SUBJECT: message". */
#ifndef SONDE_LOG_H
#define SONDE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
int log_level_parse(const char *name, enum log_level *out);
void log_msg(enum log_level level, const char *subject, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A URL as a log line may show it: scheme, host and port, never the user
 * information or the path and query, where webhooks keep their secrets
 * ("https://hooks.slack.com/…"). */
#define LOG_URL_MAX 160
const char *log_url(const char *url, char out[LOG_URL_MAX]);

#define log_debug(subject, ...) log_msg(LOG_DEBUG, subject, __VA_ARGS__)
#define log_info(subject, ...) log_msg(LOG_INFO, subject, __VA_ARGS__)
#define log_warn(subject, ...) log_msg(LOG_WARN, subject, __VA_ARGS__)
#define log_error(subject, ...) log_msg(LOG_ERROR, subject, __VA_ARGS__)

#endif
