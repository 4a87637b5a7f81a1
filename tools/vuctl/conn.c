/* SPDX-License-Identifier: BSD-3-Clause */
/* Making and dropping the session's connection, for the commands, --spawn
 * and the command line. */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vuc/vuc.h>

#include "output.h"
#include "vuctl.h"

/* ---- Connections -------------------------------------------------------- */

void vuctl_disconnect(struct vuctl *v)
{
    /* The client first: it lets go of every DMA map before vuctl unmaps
     * the files some of them point into. */
    vuc_client_free(v->client);
    v->client = NULL;
    vuctl_dma_files_release(v);
    vuctl_irq_forget(v, UINT32_MAX);
    free(v->path);
    v->path = NULL;
    free(v->sock);
    v->sock = NULL;
}

int vuctl_step_away(struct vuctl *v, struct vuctl_away *a)
{
    *a = (struct vuctl_away){.noshare = v->noshare, .twin = v->twin};
    if (!v->sock)
        return VUCTL_OK;
    a->label = strdup(v->path);
    a->path = strdup(v->sock);
    if (!a->label || !a->path) {
        free(a->label);
        free(a->path);
        *a = (struct vuctl_away){0};
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    vuctl_disconnect(v);
    return VUCTL_OK;
}

int vuctl_come_back(struct vuctl *v, struct vuctl_away *a)
{
    int status = VUCTL_OK;

    if (a->label)
        status = vuctl_connect_quiet(v, a->label, a->path, a->noshare, a->twin);
    free(a->label);
    free(a->path);
    *a = (struct vuctl_away){0};
    return status;
}

int vuctl_fence_at_exit(struct vuctl *v)
{
    if (v->client == NULL || !vuc_is_connected(v->client))
        return VUCTL_OK;
    int rc = vuc_fence(v->client);
    if (rc == 0)
        return VUCTL_OK;
    vuctl_fail_lib(v, v->client, rc, NULL);
    out_error(v, "fence", NULL);
    return VUCTL_FAIL;
}

static int connect_client(struct vuctl *v, const char *label, const char *path,
                          int fd, bool noshare, bool twin, bool *refused)
{
    int rc;

    /* The old connection goes first: vfio-user servers commonly serve one
     * client at a time, so reconnecting to the same one needs it closed. */
    vuctl_disconnect(v);
    v->path = strdup(label);
    v->sock = path ? strdup(path) : NULL;
    if (!v->path || (path && !v->sock)) {
        if (!path)
            close(fd);
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    /* v->opts is the template of every connection; these two are per
     * connection, so it gets libvuc's documented defaults back at once. */
    vuc_options_set_dma_noshare(v->opts, noshare);
    vuc_options_set_twin_socket(v->opts, twin);
    v->client = vuc_client_new(v->base, v->opts);
    rc = errno;
    vuc_options_set_dma_noshare(v->opts, false);
    vuc_options_set_twin_socket(v->opts, true);
    if (!v->client) {
        if (!path)
            close(fd);
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot create a client: %s",
                          strerror(rc));
    }
    v->noshare = noshare;
    v->twin = twin;
    rc = path ? vuc_connect_path(v->client, path)
              : vuc_connect_fd(v->client, fd);
    if (rc < 0) {
        if (refused && rc == -ECONNREFUSED) {
            *refused = true;
        } else {
            vuctl_fail_lib(v, v->client, rc, label);
            v->err.status = VUCTL_CONN;
        }
        vuc_client_free(v->client);
        v->client = NULL;
        return VUCTL_CONN;
    }
    return VUCTL_OK;
}

int vuctl_connect(struct vuctl *v, const char *label, const char *path, int fd,
                  bool noshare, bool twin, bool *refused)
{
    int status = connect_client(v, label, path, fd, noshare, twin, refused);

    if (status == VUCTL_OK)
        out_connect(v);
    return status;
}

int vuctl_connect_quiet(struct vuctl *v, const char *label, const char *path,
                        bool noshare, bool twin)
{
    return connect_client(v, label, path, -1, noshare, twin, NULL);
}
