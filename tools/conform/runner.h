/* SPDX-License-Identifier: BSD-3-Clause */
/* Running checks (runner.c), for cli.c. */
#ifndef VUC_CONFORM_RUNNER_H
#define VUC_CONFORM_RUNNER_H

#include "conform_int.h"

struct cf_runner {
    struct cf_target *tg;
    int timeout_ms;
    struct cf_session *shared; /* the session most checks share */
    char no_session[300];      /* why there is none */
};

/** Every check in catalogue order; @return how many there are. */
size_t cf_catalogue(const struct cf_check **out, size_t cap);
/** Whether --only/--skip globs select @p c. */
bool cf_selected(const struct cf_check *c, char **only, size_t n_only,
                 char **skip, size_t n_skip);
/** Run @p c and record its result. */
void cf_run_one(struct cf_runner *rn, const struct cf_check *c,
                struct cf_result *res);

#endif /* VUC_CONFORM_RUNNER_H */
