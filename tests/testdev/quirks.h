/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Quirks: deliberate deviations from the specification, chosen with
 * --quirk=NAME, so that a conformance suite can be shown to catch each one.
 * The table of names and descriptions is in quirks.c; each deviation is a
 * small hook at the place the device would otherwise do the right thing.
 */
#ifndef VUC_TESTDEV_QUIRKS_H
#define VUC_TESTDEV_QUIRKS_H

#include <stdbool.h>
#include <stdio.h>

enum td_quirk {
    TD_QUIRK_ID_SIGN,
    TD_QUIRK_READ_PAST_END,
    TD_QUIRK_NO_ARGSZ_RETRY,
    TD_QUIRK_CRASH_BAD_HEADER,
    TD_QUIRK_KEEP_MAPS_UNMAP_ALL,
    TD_QUIRK_REPLY_NOREPLY,
    TD_QUIRK_DROP_BAR1_WRITES,
    TD_QUIRK_OVERLAP_EINVAL,
    TD_QUIRK_IGNORE_MAX_DMA_MAPS,
    TD_QUIRK_MINOR_PLUS_ONE,
    TD_QUIRK_JSON_NO_NUL,
    TD_QUIRK_CRASH_BAD_JSON,
    TD_QUIRK_IRQ_NO_RANGE_CHECK,
    TD_QUIRK_MASK_ANYTHING,
    TD_QUIRK_ERROR_PAYLOAD,
    TD_QUIRK_REPLY_AS_COMMAND,
    TD_QUIRK_LEAK_FDS,
    TD_QUIRK_STOP_COPY_TO_PRE_COPY,
    TD_QUIRK_ERROR_STATE_SETTABLE,
    TD_QUIRK_REPORT_UNSTARTED,
    TD_QUIRK_NO_UNMAP_ECHO,
    TD_QUIRK_KEEP_MAPS_ON_DISCONNECT,
    TD_QUIRK_SPARSE_PAST_END,
    TD_QUIRK_COUNT
};

/* The kernel's VFIO_DMA_UNMAP_FLAG_ALL, which keep-maps-unmap-all accepts. */
#define TD_QUIRK_UNMAP_FLAG_ALL (1u << 1)

/** Whether --quirk asked for @p q. */
bool td_quirk(enum td_quirk q);
/** Turn on the quirk called @p name. @return 0, or -1 if there is none. */
int td_quirk_enable(const char *name);
/** Print every quirk's name and description, one a line. */
void td_quirk_list(FILE *out);

#endif /* VUC_TESTDEV_QUIRKS_H */
