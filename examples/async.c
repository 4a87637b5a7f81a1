/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvuc's asynchronous API on an event loop that the program owns: each
 * step starts in the completion callback of the one before, nothing blocks,
 * and the last callback frees the client, which ends the loop.
 *
 *   async SOCKET
 *
 * Steps: connect; read the PCI ids and the header type concurrently; give
 * the device a page of DMA memory; enable MSI-X vector 0 (or MSI) with a
 * callback and ask the device to signal it, with a timer of our own in case
 * it does not; unmap the memory; free the client.
 *
 * The API reference's Guide shows this file whole; a test runs it against
 * vuc-testdev.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <vuc/vuc.h>

struct app {
    struct vuc_client *client;
    struct event *watchdog; /* gives up waiting for the interrupt */
    struct vuc_dma_map *map;
    uint16_t ids[2];
    uint8_t header_type;
    int reads_left; /* reads started and not yet completed */
    int read_error; /* the first error among them */
    uint32_t irq_index;
    bool unmapping; /* the interrupt, or the wait for it, is over */
    int status;     /* the exit status */
};

/* Ends the program: freeing the client completes whatever is still pending
 * (with -ECANCELED) and removes its events, so the loop runs dry. Freeing
 * it from inside one of its own callbacks is safe. */
static void finish(struct app *app, int status)
{
    struct vuc_client *c = app->client;

    if (status != 0)
        fprintf(stderr, "async: %s\n", vuc_strerror(c));
    app->status = status;
    event_del(app->watchdog);
    app->client = NULL;
    vuc_client_free(c);
}

/* Whether the client is gone: a call still pending when it was freed
 * completes then, with -ECANCELED, and has nothing left to do. */
static bool freed(const struct app *app)
{
    return app->client == NULL;
}

static void on_unmapped(struct vuc_client *c, int result, void *arg)
{
    struct app *app = arg;

    if (freed(app))
        return;
    if (result < 0) {
        finish(app, 1);
        return;
    }
    printf("DMA memory unmapped, %u map(s) left\n", vuc_dma_count(c));
    finish(app, 0);
}

static void unmap_memory(struct app *app)
{
    if (app->unmapping)
        return;
    app->unmapping = true;
    event_del(app->watchdog);
    /* The map stays valid, and its DMA requests served, until the server
     * confirms the unmap. */
    if (vuc_dma_unmap_async(app->client, app->map, VUC_TIMEOUT_DEFAULT,
                            on_unmapped, app) < 0)
        finish(app, 1);
}

/* Called for each signalled vector, with how many events the eventfd
 * counted since the last call. */
static void on_irq(struct vuc_client *c, uint32_t index, uint32_t vector,
                   uint64_t count, void *arg)
{
    struct app *app = arg;

    printf("%s vector %" PRIu32 ": %" PRIu64 " interrupt(s), %" PRIu64
           " in all\n",
           vuc_irq_name(index), vector, count, vuc_irq_total(c, index, vector));
    unmap_memory(app);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    struct app *app = arg;

    (void)fd; /* a timer has neither */
    (void)what;
    printf("no interrupt within a second; going on\n");
    unmap_memory(app);
}

static void on_triggered(struct vuc_client *c, int result, void *arg)
{
    struct app *app = arg;
    const struct timeval second = {1, 0};

    if (freed(app))
        return;
    if (result < 0) {
        /* A device need not support being asked to signal. */
        printf("%s trigger refused: %s\n", vuc_irq_name(app->irq_index),
               vuc_strerror(c));
        unmap_memory(app);
        return;
    }
    if (!app->unmapping) /* else the interrupt came before this reply */
        event_add(app->watchdog, &second);
}

static void on_irq_enabled(struct vuc_client *c, int result, void *arg)
{
    struct app *app = arg;

    if (freed(app))
        return;
    if (result < 0) {
        finish(app, 1);
        return;
    }
    if (vuc_irq_action_async(c, app->irq_index, 0, 1,
                             VFIO_USER_IRQ_SET_ACTION_TRIGGER, NULL,
                             VUC_TIMEOUT_DEFAULT, on_triggered, app) < 0)
        finish(app, 1);
}

/* The first of MSI-X and MSI that can signal an eventfd, or -1. */
static int pick_irq_index(struct vuc_client *c)
{
    static const uint32_t prefer[] = {VFIO_USER_PCI_MSIX_IRQ_INDEX,
                                      VFIO_USER_PCI_MSI_IRQ_INDEX};

    for (size_t i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++) {
        const struct vuc_irq_info *ii = vuc_get_irq_info(c, prefer[i]);
        if (ii && ii->count > 0 && (ii->flags & VFIO_USER_IRQ_INFO_EVENTFD))
            return (int)prefer[i];
    }
    return -1;
}

static void on_mapped(struct vuc_client *c, int result, struct vuc_dma_map *map,
                      void *arg)
{
    struct app *app = arg;
    static const char hello[] = "hello, device";

    if (freed(app))
        return;
    if (result < 0) {
        finish(app, 1);
        return;
    }
    app->map = map;
    /* The client's own view of the memory the device reads and writes. */
    if (vuc_dma_write(c, vuc_dma_iova(map), hello, sizeof(hello)) < 0) {
        finish(app, 1);
        return;
    }
    printf("DMA memory: %zu bytes at IOVA 0x%" PRIx64 "\n", vuc_dma_size(map),
           vuc_dma_iova(map));

    int index = pick_irq_index(c);
    if (index < 0) {
        printf("no MSI-X or MSI with eventfds\n");
        unmap_memory(app);
        return;
    }
    app->irq_index = (uint32_t)index;
    if (vuc_irq_enable_async(c, app->irq_index, 0, 1, on_irq, app,
                             VUC_TIMEOUT_DEFAULT, on_irq_enabled, app) < 0)
        finish(app, 1);
}

/* Both reads complete here, in any order; the last one moves on. */
static void on_read(struct vuc_client *c, int result, void *arg)
{
    struct app *app = arg;

    if (freed(app))
        return;
    if (result < 0 && app->read_error == 0)
        app->read_error = result;
    if (--app->reads_left > 0)
        return;
    if (app->read_error < 0) {
        finish(app, 1);
        return;
    }
    printf("PCI id %04x:%04x, header type 0x%02x\n", app->ids[0], app->ids[1],
           app->header_type);
    if (vuc_dma_alloc_async(c, 4096, VUC_IOVA_ANY, VUC_DMA_READ | VUC_DMA_WRITE,
                            VUC_TIMEOUT_DEFAULT, on_mapped, app) < 0)
        finish(app, 1);
}

static void on_connected(struct vuc_client *c, int result, void *arg)
{
    struct app *app = arg;

    if (freed(app))
        return;
    if (result < 0) {
        finish(app, 1);
        return;
    }
    const struct vuc_caps *caps = vuc_get_caps(c);
    printf("connected: vfio-user %u.%u, %" PRIu32 " regions\n", caps->major,
           caps->minor, vuc_get_device_info(c)->num_regions);

    /* Two requests in flight at once. The buffers are ours and must stay
     * valid until each callback has run; a read that could not be started
     * has no callback, so it is not counted. */
    const uint32_t cfg = VFIO_USER_PCI_CONFIG_REGION_INDEX;
    int rc = vuc_region_read_async(c, cfg, 0, app->ids, sizeof(app->ids),
                                   VUC_TIMEOUT_DEFAULT, on_read, app);
    if (rc == 0) {
        app->reads_left++;
        rc = vuc_region_read_async(c, cfg, 0x0e, &app->header_type, 1,
                                   VUC_TIMEOUT_DEFAULT, on_read, app);
        if (rc == 0)
            app->reads_left++;
    }
    if (rc < 0) {
        app->read_error = rc;
        if (app->reads_left == 0) /* else the started read finishes */
            finish(app, 1);
    }
}

/* The server went away after the connection was up. */
static void on_disconnect(struct vuc_client *c, int result, void *arg)
{
    (void)arg;
    fprintf(stderr, "async: connection lost (%s): %s\n", strerror(-result),
            vuc_strerror(c));
}

int main(int argc, char **argv)
{
    struct app app = {.status = 1};

    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
        return 2;
    }
    struct event_base *base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "async: cannot create an event base\n");
        return 1;
    }
    app.watchdog = evtimer_new(base, on_watchdog, &app);
    app.client = app.watchdog ? vuc_client_new(base, NULL) : NULL;
    if (app.client == NULL) {
        fprintf(stderr, "async: cannot create a client: %s\n", strerror(errno));
        goto out;
    }
    vuc_set_disconnect_cb(app.client, on_disconnect, &app);
    if (vuc_connect_path_async(app.client, argv[1], on_connected, &app) < 0) {
        finish(&app, 1);
        goto out;
    }
    /* Runs until no event is left: after finish() freed the client. */
    event_base_dispatch(base);
out:
    if (app.client != NULL) /* the loop ended some other way */
        vuc_client_free(app.client);
    if (app.watchdog != NULL)
        event_free(app.watchdog);
    event_base_free(base);
    return app.status;
}
