/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The integration tests' fixture: vuc-testdev on a socket in a private
 * temporary directory, clients made through the public API, fd accounting,
 * and register helpers that fail the test with the library's error text.
 */
#ifndef VUC_TEST_TESTDEV_FIXTURE_H
#define VUC_TEST_TESTDEV_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

#include <vuc/vuc.h>

#include "test_support.h"

struct fx {
    char dir[64];
    char sock[128];
    pid_t dev;
    struct event_base *base;
    struct vuc_client *c;
    struct test_log logsink;
    char log[16384];
    int fds_before;
    int disconnects;
    int disconnect_result;
};

/* Start vuc-testdev with extra options (NULL-terminated) and wait for its
 * socket; stop it (SIGTERM, reaped). */
void dev_start(struct fx *f, ...);
void dev_stop(struct fx *f);

/* A client on f->base logging into f->log; timeout_ms 0 keeps the
 * default. */
struct vuc_client *client_new(struct fx *f, bool auto_mmap, int timeout_ms);
void connect_ok(struct fx *f, struct vuc_client *c);

/* 32-bit register access that fails the test on error. */
uint32_t read32(struct vuc_client *c, uint32_t region, uint64_t off);
void write32(struct vuc_client *c, uint32_t region, uint64_t off, uint32_t v);

/* vuc-testdev's write log in BAR1 (read through the mapping when there is
 * one): its count, and an entry's value by age (0 is the newest). */
uint32_t log_count(struct vuc_client *c);
uint64_t log_value(struct vuc_client *c, uint32_t count, uint32_t age);

/* Run one job of vuc-testdev's DMA engine and wait for it: the status
 * read is answered only after the job, and while it waits libvuc serves
 * the engine's DMA messages. Returns DMA_ERRNO (0 on success). */
uint32_t dma_job(struct vuc_client *c, uint64_t src, uint64_t dst, uint32_t len,
                 uint32_t ctrl);

/* cmocka fixtures: a temporary directory and event base; teardown frees
 * f->c, stops the server and checks that no fd leaked. */
int fx_setup(void **state);
int fx_teardown(void **state);

#endif /* VUC_TEST_TESTDEV_FIXTURE_H */
