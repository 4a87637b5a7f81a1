/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vuc/vuc.h
 * libvuc: a vfio-user client library.
 *
 * One `struct vuc_client` drives one connection to one vfio-user server on
 * a libevent `event_base` that the caller owns. Every operation exists once,
 * as an asynchronous call that takes a completion callback; the blocking
 * calls (vuc/blocking.h) run the caller's event base until that same
 * asynchronous operation completes.
 *
 * Contract, for every asynchronous call:
 *  - It returns 0 when the operation was started, and then its callback fires
 *    exactly once: on the reply, on an error reply, on timeout, when the
 *    connection is lost, or when the client is freed (result -ECANCELED).
 *    The callback never fires from inside the call that started it.
 *  - It returns a negative errno when the operation could not be started;
 *    then the callback never fires.
 *  - Results are 0 or a negative errno: -EPROTO for a reply that breaks the
 *    protocol, -ETIMEDOUT, -ECONNRESET when the server went away, or the
 *    errno the server replied with (an error reply with errno 0 gives -EIO).
 *  - vuc_strerror() explains the last failure in words.
 *  - Calling vuc_client_free() from inside any callback is safe.
 *  - A client belongs to the thread that runs its event base: call it from
 *    there only (libvuc takes no locks). Separate clients on separate bases
 *    share nothing and may live in separate threads.
 *
 * The library never prints; see vuc_options_set_log().
 */
#ifndef VUC_VUC_H
#define VUC_VUC_H

/* The API is one header per subsystem; this one includes them all. */
#include <vuc/protocol.h>
#include <vuc/trace.h>
#include <vuc/client.h>
#include <vuc/region.h>
#include <vuc/dma.h>
#include <vuc/irq.h>
#include <vuc/pci.h>
#include <vuc/migration.h>
#include <vuc/blocking.h>

#endif /* VUC_VUC_H */
