/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classic pcap file format (microsecond timestamps, LINKTYPE_ETHERNET),
 * which tcpdump and Wireshark read: a writer for `recv -o` and a reader
 * for `send`.
 */
#ifndef VNET_PCAP_H
#define VNET_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Write the file header. @return 0 or -errno. */
int pcap_write_header(FILE *f);
/** Append one frame stamped with the current time. @return 0 or -errno. */
int pcap_write_frame(FILE *f, const uint8_t *frame, size_t len);

struct pcap_reader {
    FILE *f;
    bool swapped; /* written on a machine of the other byte order */
    uint32_t snaplen;
};

/**
 * Check the file header: the pcap magic (either byte order, micro- or
 * nanosecond), version 2.4, LINKTYPE_ETHERNET.
 * @return 0, -EINVAL when @p f is not such a file (with *why set).
 */
int pcap_open_reader(struct pcap_reader *r, FILE *f, const char **why);

/**
 * Read the next record into @p buf (capacity @p cap).
 * @return the frame length, 0 at the end of the file, -EINVAL for a
 * truncated record or one larger than cap, or one whose captured length
 * differs from its original length (a frame cut short by the snapshot
 * length cannot be sent as it was).
 */
long pcap_read_frame(struct pcap_reader *r, uint8_t *buf, size_t cap,
                     const char **why);

#endif
