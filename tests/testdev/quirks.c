/* SPDX-License-Identifier: BSD-3-Clause */
/* The quirks --quirk=NAME turns on (see quirks.h). */
#include <string.h>

#include "quirks.h"

static const struct {
    const char *name;
    const char *what;
} quirks[TD_QUIRK_COUNT] = {
    [TD_QUIRK_ID_SIGN] = {"id-sign",
                          "replies carry msg_id & 0x7fff (a signed id)"},
    [TD_QUIRK_READ_PAST_END] = {"read-past-end",
                                "REGION_READ running past a region's end "
                                "returns zeros for the rest"},
    [TD_QUIRK_NO_ARGSZ_RETRY] = {"no-argsz-retry",
                                 "GET_REGION_INFO with too small an argsz "
                                 "fails instead of saying what is needed"},
    [TD_QUIRK_CRASH_BAD_HEADER] = {"crash-bad-header",
                                   "abort() on a header with msg_size below "
                                   "16"},
    [TD_QUIRK_KEEP_MAPS_UNMAP_ALL] = {"keep-maps-unmap-all",
                                      "DMA_UNMAP with VFIO's UNMAP_FLAG_ALL "
                                      "succeeds but unmaps nothing"},
    [TD_QUIRK_REPLY_NOREPLY] = {"reply-noreply",
                                "commands with No_reply are answered"},
    [TD_QUIRK_DROP_BAR1_WRITES] = {"drop-bar1-writes",
                                   "BAR1 has VFIO_REGION_INFO_FLAG_WRITE but "
                                   "REGION_WRITE to it changes nothing"},
    [TD_QUIRK_OVERLAP_EINVAL] = {"overlap-einval",
                                 "a DMA_MAP over a mapped window fails with "
                                 "EINVAL instead of EEXIST"},
    [TD_QUIRK_IGNORE_MAX_DMA_MAPS] = {"ignore-max-dma-maps",
                                      "DMA_MAP beyond max_dma_maps succeeds"},
    [TD_QUIRK_MINOR_PLUS_ONE] = {"minor-plus-one",
                                 "the VERSION reply's minor is the proposed "
                                 "one plus one"},
    [TD_QUIRK_JSON_NO_NUL] = {"json-no-nul",
                              "the VERSION reply's JSON lacks its NUL"},
    [TD_QUIRK_CRASH_BAD_JSON] = {"crash-bad-json",
                                 "abort() on version data that is not JSON"},
    [TD_QUIRK_IRQ_NO_RANGE_CHECK] = {"irq-no-range-check",
                                     "SET_IRQS for vectors beyond an index's "
                                     "count succeeds (doing nothing)"},
    [TD_QUIRK_MASK_ANYTHING] = {"mask-anything",
                                "SET_IRQS MASK/UNMASK succeeds on indexes "
                                "that are not MASKABLE (doing nothing)"},
    [TD_QUIRK_ERROR_PAYLOAD] = {"error-payload",
                                "error replies carry 8 bytes of payload"},
    [TD_QUIRK_REPLY_AS_COMMAND] = {"reply-as-command",
                                   "client messages typed Reply are "
                                   "performed as commands (and answered)"},
    [TD_QUIRK_LEAK_FDS] = {"leak-fds",
                           "fds sent with a command that takes none are "
                           "kept open"},
    [TD_QUIRK_STOP_COPY_TO_PRE_COPY] = {"stop-copy-to-pre-copy",
                                        "the forbidden arc STOP_COPY -> "
                                        "PRE_COPY is taken"},
    [TD_QUIRK_ERROR_STATE_SETTABLE] = {"error-state-settable",
                                       "SET MIG_DEVICE_STATE to ERROR "
                                       "succeeds"},
    [TD_QUIRK_REPORT_UNSTARTED] = {"report-unstarted",
                                   "DMA_LOGGING_REPORT without "
                                   "DMA_LOGGING_START returns a clean "
                                   "bitmap"},
    [TD_QUIRK_NO_UNMAP_ECHO] = {"no-unmap-echo",
                                "DMA_UNMAP replies with no payload instead "
                                "of the entry"},
    [TD_QUIRK_KEEP_MAPS_ON_DISCONNECT] = {"keep-maps-on-disconnect",
                                          "a client's DMA maps outlive its "
                                          "connection"},
    [TD_QUIRK_SPARSE_PAST_END] = {"sparse-past-end",
                                  "BAR1's sparse mmap area runs a page past "
                                  "the region's end"},
};

static bool on[TD_QUIRK_COUNT];

bool td_quirk(enum td_quirk q)
{
    return on[q];
}

int td_quirk_enable(const char *name)
{
    for (int i = 0; i < TD_QUIRK_COUNT; i++) {
        if (!strcmp(quirks[i].name, name)) {
            on[i] = true;
            return 0;
        }
    }
    return -1;
}

void td_quirk_list(FILE *out)
{
    for (int i = 0; i < TD_QUIRK_COUNT; i++)
        fprintf(out, "  %-24s %s\n", quirks[i].name, quirks[i].what);
}
