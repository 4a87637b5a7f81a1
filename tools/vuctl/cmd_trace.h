/* SPDX-License-Identifier: BSD-3-Clause */
/* vuctl's trace: every vfio-user message of the session, one line each. */
#ifndef VUCTL_CMD_TRACE_H
#define VUCTL_CMD_TRACE_H

struct vuctl;

/* Trace every message of this and later connections to dest ("-" or NULL
 * for stderr, else a file, truncated), in JSON with --json. Replaces an
 * earlier trace. Returns an enum vuctl_status, after vuctl_fail(). */
int vuctl_trace_start(struct vuctl *v, const char *dest);

/* Stop tracing and close its file. Safe when not tracing. */
void vuctl_trace_stop(struct vuctl *v);

#endif /* VUCTL_CMD_TRACE_H */
