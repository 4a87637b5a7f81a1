/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a vuctl session holds, below every command and the output layer:
 * the failure record, the value set and expect capture, variables, the
 * files dma map mapped and the vectors vuctl enabled, and the clock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <vuc/vuc.h>

#include "vuctl.h"

/* ---- Failure records ---------------------------------------------------- */

int vuctl_fail(struct vuctl *v, int status, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(v->err.msg, sizeof(v->err.msg), fmt, ap);
    va_end(ap);
    v->err.status = status;
    v->err.err = err;
    return status;
}

int vuctl_status_of(int rc)
{
    switch (-rc) {
    case 0:
        return VUCTL_OK;
    case ECONNRESET:
    case ECONNREFUSED:
    case EPIPE:
    case ENOTCONN:
    case EPROTO:
    case ETIMEDOUT:
        return VUCTL_CONN;
    default:
        return VUCTL_FAIL;
    }
}

int vuctl_fail_lib(struct vuctl *v, struct vuc_client *client, int rc,
                   const char *ctx)
{
    const char *text = client ? vuc_strerror(client) : "";
    int status = vuctl_status_of(rc);

    if (text && text[0])
        return vuctl_fail(v, status, -rc, "%s", text);
    if (ctx)
        return vuctl_fail(v, status, -rc, "%s: %s", ctx, strerror(-rc));
    return vuctl_fail(v, status, -rc, "%s", strerror(-rc));
}

bool vuctl_capture(struct vuctl *v, uint64_t value)
{
    if (!v->capture.on)
        return false;
    v->capture.value = value;
    v->capture.got = true;
    return true;
}

uint64_t vuctl_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- Variables ---------------------------------------------------------- */

int vuctl_var_get(void *arg, const char *name, uint64_t *value)
{
    const struct vuctl *v = arg;

    for (size_t i = 0; i < v->nvars; i++) {
        if (!strcmp(v->vars[i].name, name)) {
            *value = v->vars[i].value;
            return 0;
        }
    }
    return -ENOENT;
}

int vuctl_var_set(struct vuctl *v, const char *name, uint64_t value)
{
    struct vuctl_var *vars;
    char *copy;

    for (size_t i = 0; i < v->nvars; i++) {
        if (!strcmp(v->vars[i].name, name)) {
            v->vars[i].value = value;
            return 0;
        }
    }
    vars = realloc(v->vars, (v->nvars + 1) * sizeof(*vars));
    if (!vars)
        return -ENOMEM;
    v->vars = vars;
    copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    v->vars[v->nvars++] = (struct vuctl_var){.name = copy, .value = value};
    return 0;
}

void vuctl_vars_free(struct vuctl *v)
{
    for (size_t i = 0; i < v->nvars; i++)
        free(v->vars[i].name);
    free(v->vars);
    v->vars = NULL;
    v->nvars = 0;
}

/* ---- Files of dma map --------------------------------------------------- */

void vuctl_filemap_free(struct vuctl_filemap *f)
{
    munmap(f->addr, f->len);
    free(f->path);
}

void vuctl_dma_files_release(struct vuctl *v)
{
    for (size_t i = 0; i < v->nfiles; i++)
        vuctl_filemap_free(&v->files[i]);
    free(v->files);
    v->files = NULL;
    v->nfiles = 0;
}

const struct vuctl_filemap *vuctl_dma_file(const struct vuctl *v,
                                           const struct vuc_dma_map *map)
{
    for (size_t i = 0; i < v->nfiles; i++)
        if (v->files[i].map == map)
            return &v->files[i];
    return NULL;
}

void vuctl_irq_forget(struct vuctl *v, uint32_t index)
{
    size_t n = 0;

    for (size_t i = 0; i < v->nirqs; i++)
        if (index != UINT32_MAX && v->irqs[i].index != index)
            v->irqs[n++] = v->irqs[i];
    v->nirqs = n;
    if (n == 0) {
        free(v->irqs);
        v->irqs = NULL;
    }
}
