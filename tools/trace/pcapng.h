/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng output for Wireshark: one packet per vfio-user message (header and
 * payload as they travelled), link type LINKTYPE_USER0, the direction in
 * the packet flags (outbound: client to server), and the socket and the
 * number of fds in the packet comment ("fds=1 chan=main"). The Lua dissector
 * in tools/wireshark/ decodes it.
 */
#ifndef VUC_TRACE_PCAPNG_H
#define VUC_TRACE_PCAPNG_H

#include <stdio.h>

#include <vuc/trace.h>

/* LINKTYPE_USER0, for private use: vfio-user has no link type of its own. */
#define PCAPNG_LINKTYPE_USER0 147u
/* Bytes of one message kept in the file; the packet records the whole
 * length. */
#define PCAPNG_SNAPLEN (256u * 1024u)

/* Write the section and interface headers; 0 or -errno. */
int pcapng_start(FILE *f);

/* One message; 0 or -errno (the file's write error). */
int pcapng_message(FILE *f, const struct vuc_trace_msg *msg);

#endif /* VUC_TRACE_PCAPNG_H */
