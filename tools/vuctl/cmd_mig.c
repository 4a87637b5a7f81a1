/* SPDX-License-Identifier: BSD-3-Clause */
/* Dirty page logging and migration. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vuc/vuc.h>

#include "args.h"
#include "cmds.h"
#include "output.h"
#include "vuctl.h"

/* The most pages one dirty report covers: a 16 MiB bitmap, like the
 * largest dump, so that a typo cannot ask for gigabytes. */
#define MAX_DIRTY_PAGES (VUCTL_MAX_DUMP * 8ull)
/* Smallest page size of dirty logging. */
#define MIN_PAGE 4096u

/* ---- Dirty pages ------------------------------------------------------------
 */

/*
 * Split the arguments from first on into numbers and --page-size N (or
 * --page-size=N, anywhere). *nums receives an array of the numbers (free()
 * it), *page_size 0 when not given.
 */
static int page_size_opt(struct vuctl *v, int argc, char **argv, int first,
                         uint64_t **nums, int *n, uint64_t *page_size)
{
    const char *opt = "--page-size";
    size_t optlen = strlen(opt);
    uint64_t *out = calloc((size_t)argc, sizeof(*out));
    int rc;

    *page_size = 0;
    *n = 0;
    if (!out)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    for (int i = first; i < argc; i++) {
        const char *tok = argv[i];

        if (!strncmp(tok, opt, optlen) &&
            (tok[optlen] == '\0' || tok[optlen] == '=')) {
            const char *val = tok[optlen] ? tok + optlen + 1 : argv[i + 1];

            if (!tok[optlen] && ++i >= argc) {
                free(out);
                return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                                  "--page-size needs a value");
            }
            rc = vuctl_arg_u64(v, val, UINT64_MAX, page_size);
            if (!rc &&
                (*page_size < MIN_PAGE || (*page_size & (*page_size - 1))))
                rc = vuctl_fail(v, VUCTL_USAGE, EINVAL,
                                "bad page size '%s': must be a power of two "
                                "of at least 4k",
                                val);
        } else if (tok[0] == '-') {
            rc = vuctl_fail(v, VUCTL_USAGE, EINVAL,
                            "unknown option '%s' (expected --page-size)", tok);
        } else {
            rc = vuctl_arg_u64(v, tok, UINT64_MAX, &out[(*n)++]);
        }
        if (rc) {
            free(out);
            return rc;
        }
    }
    *nums = out;
    return 0;
}

/* The page size logging would use: the negotiated one, else 4 KiB. */
static uint64_t default_page_size(struct vuctl *v)
{
    const struct vuc_caps *c = vuc_get_caps(v->client);
    uint64_t pg = vuc_dirty_page_size(v->client);

    if (pg)
        return pg;
    return c && c->migration_pgsize ? c->migration_pgsize : MIN_PAGE;
}

/* Fail unless [iova, iova + len) is a non-empty, page-aligned range. */
static int range_check(struct vuctl *v, uint64_t iova, uint64_t len,
                       uint64_t page_size)
{
    uint64_t end;

    if (len == 0 || len % page_size)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad length 0x%" PRIx64 ": must be a non-zero "
                          "multiple of the page size 0x%" PRIx64,
                          len, page_size);
    if (iova % page_size)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "IOVA 0x%" PRIx64 " is not a multiple of the page "
                          "size 0x%" PRIx64,
                          iova, page_size);
    if (__builtin_add_overflow(iova, len - 1, &end))
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "0x%" PRIx64 " bytes at IOVA 0x%" PRIx64 " wrap "
                          "around the end of the IOVA space",
                          len, iova);
    return 0;
}

static int cmd_dirty_start(struct vuctl *v, int argc, char **argv)
{
    struct vuc_dirty_range *ranges = NULL;
    uint64_t *nums, page_size, pg;
    int n, rc;

    if ((rc = page_size_opt(v, argc, argv, 1, &nums, &n, &page_size)))
        return rc;
    if (n % 2) {
        rc = vuctl_fail(v, VUCTL_USAGE, EINVAL,
                        "IOVA 0x%" PRIx64 " has no LEN (ranges are IOVA LEN "
                        "pairs)",
                        nums[n - 1]);
        goto out;
    }
    if ((rc = vuctl_need_client(v, true)))
        goto out;
    pg = page_size ? page_size : default_page_size(v);
    ranges = calloc((size_t)n / 2 + 1, sizeof(*ranges));
    if (!ranges) {
        rc = vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i += 2) {
        if ((rc = range_check(v, nums[i], nums[i + 1], pg)))
            goto out;
        ranges[i / 2] = (struct vuc_dirty_range){nums[i], nums[i + 1]};
    }
    rc = vuc_dirty_start(v->client, ranges, (unsigned)n / 2, page_size);
    if (rc < 0) {
        rc = vuctl_fail_lib(v, v->client, rc, "dirty start");
        goto out;
    }
    out_dirty_start(v);
    rc = VUCTL_OK;
out:
    free(ranges);
    free(nums);
    return rc;
}

static int cmd_dirty_stop(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    rc = vuc_dirty_stop(v->client);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "dirty stop");
    out_done(v, "dirty stop");
    return VUCTL_OK;
}

static int cmd_dirty_report(struct vuctl *v, int argc, char **argv)
{
    uint64_t *nums, *bitmap, page_size, pages, dirty = 0;
    size_t words;
    int n, rc;

    if ((rc = page_size_opt(v, argc, argv, 1, &nums, &n, &page_size)))
        return rc;
    if (n != 2) {
        free(nums);
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected IOVA and LEN, got %d number%s", n,
                          n == 1 ? "" : "s");
    }
    if ((rc = vuctl_need_client(v, true))) {
        free(nums);
        return rc;
    }
    if (!page_size)
        page_size = default_page_size(v);
    rc = range_check(v, nums[0], nums[1], page_size);
    pages = nums[1] / page_size;
    if (!rc && pages > MAX_DIRTY_PAGES)
        rc =
            vuctl_fail(v, VUCTL_USAGE, EINVAL,
                       "0x%" PRIx64 " bytes are %" PRIu64 " pages of 0x%" PRIx64
                       " bytes, more than the %llu one report may cover",
                       nums[1], pages, page_size, MAX_DIRTY_PAGES);
    if (rc) {
        free(nums);
        return rc;
    }
    words = (size_t)((pages + 63) / 64);
    bitmap = calloc(words, sizeof(*bitmap));
    if (!bitmap) {
        free(nums);
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    rc =
        vuc_dirty_report(v->client, nums[0], nums[1], page_size, bitmap, words);
    if (rc < 0) {
        rc = vuctl_fail_lib(v, v->client, rc, "dirty report");
    } else {
        for (size_t i = 0; i < words; i++)
            dirty += (uint64_t)__builtin_popcountll(bitmap[i]);
        if (!vuctl_capture(v, dirty))
            out_dirty_report(v, nums[0], page_size, bitmap, pages, dirty);
        rc = VUCTL_OK;
    }
    free(bitmap);
    free(nums);
    return rc;
}

/* ---- Migration ------------------------------------------------------------
 */

static int cmd_migrate_state(struct vuctl *v, int argc, char **argv)
{
    uint64_t flags;
    uint32_t state = 0;
    int rc;

    if (argc > 1) {
        if (vuc_mig_state_parse(argv[1], &state) < 0)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown migration state '%s' (expected STOP, "
                              "RUNNING, STOP_COPY, RESUMING or PRE_COPY)",
                              argv[1]);
        if (state == VFIO_USER_DEVICE_STATE_ERROR)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "cannot move to ERROR: a device gets there "
                              "only by failing a transition");
        if (state == VFIO_USER_DEVICE_STATE_RUNNING_P2P ||
            state == VFIO_USER_DEVICE_STATE_PRE_COPY_P2P)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "cannot move to %s: vfio-user does not use the "
                              "P2P states",
                              vuc_mig_state_name(state));
    }
    if ((rc = vuctl_need_client(v, true)))
        return rc;
    /* Setting probes by itself; probing before a get too says "no
     * migration" rather than how the device refused the request. */
    if (argc > 1)
        rc = vuc_mig_set_state(v->client, state);
    else if ((rc = vuc_mig_probe(v->client, &flags)) == 0)
        rc = vuc_mig_get_state(v->client, &state);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "migrate state");
    if (!vuctl_capture(v, state))
        out_mig_state(v, state, argc == 1);
    return VUCTL_OK;
}

/*
 * The state goes to a temporary file next to path, renamed over it only
 * once complete: a failed save leaves neither a partial file nor a
 * clobbered older one.
 */
static int cmd_migrate_save(struct vuctl *v, int argc, char **argv)
{
    const char *path = argv[1];
    struct stat st;
    char *tmp;
    int fd, rc;

    if ((rc = vuctl_need_client(v, true)))
        return rc;
    /* Before the device is stopped for it: where the file cannot go. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return vuctl_fail(v, VUCTL_FAIL, EINVAL, "'%s' is not a regular file",
                          path);
    if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = errno;
        free(tmp);
        return vuctl_fail(v, VUCTL_FAIL, rc,
                          "cannot create a file next to "
                          "'%s': %s",
                          path, strerror(rc));
    }
    rc = vuc_mig_save(v->client, fd);
    if (rc < 0) {
        vuctl_fail_lib(v, v->client, rc, "migrate save");
    } else if (fsync(fd) < 0 || fstat(fd, &st) < 0) {
        rc = -errno;
        vuctl_fail(v, VUCTL_FAIL, -rc, "cannot write '%s': %s", tmp,
                   strerror(-rc));
    } else if (rename(tmp, path) < 0) {
        rc = -errno;
        vuctl_fail(v, VUCTL_FAIL, -rc, "cannot rename '%s' to '%s': %s", tmp,
                   path, strerror(-rc));
    }
    close(fd);
    if (rc < 0) {
        unlink(tmp);
        free(tmp);
        return v->err.status;
    }
    free(tmp);
    out_mig_file(v, true, path, (uint64_t)st.st_size);
    return VUCTL_OK;
}

static int cmd_migrate_load(struct vuctl *v, int argc, char **argv)
{
    const char *path = argv[1];
    struct stat st;
    int fd, rc;

    if ((rc = vuctl_need_client(v, true)))
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = errno;
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot open '%s': %s", path,
                          strerror(rc));
    }
    if (fstat(fd, &st) < 0) {
        rc = errno;
        close(fd);
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot stat '%s': %s", path,
                          strerror(rc));
    }
    rc = vuc_mig_load(v->client, fd);
    close(fd);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "migrate load");
    out_mig_file(v, false, path, (uint64_t)st.st_size);
    return VUCTL_OK;
}

/* Dirty page logging and migration. */
static const struct vuctl_cmd mig_cmds[] = {
    {
        .name = "dirty",
        .sub = "start",
        .args = "[IOVA LEN ...] [--page-size N]",
        .summary = "start logging the pages the device writes",
        .help = "Start dirty page logging for the ranges IOVA LEN (default:\n"
                "all DMA memory), at page size N (a power of two of at least\n"
                "4k; default: the negotiated migration page size, else 4k;\n"
                "the device may choose another). libvuc uses the DMA logging\n"
                "features of the current specification, or the legacy\n"
                "DIRTY_PAGES command of older servers; the mode and the page\n"
                "size are printed.\n",
        .example = "dirty start\ndirty start 0x100000000 1m --page-size 4k\n",
        .fn = cmd_dirty_start,
        .min_args = 0,
        .max_args = VUCTL_ANY_ARGS,
        .words = "--page-size",
    },
    {
        .name = "dirty",
        .sub = "stop",
        .args = "",
        .summary = "stop dirty page logging",
        .help = "Stop the logging that dirty start began.\n",
        .example = "dirty stop\n",
        .fn = cmd_dirty_stop,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "dirty",
        .sub = "report",
        .args = "IOVA LEN [--page-size N]",
        .summary = "list the pages written since the last report",
        .help = "Print the logging mode, how many of the pages in LEN bytes\n"
                "at IOVA were written since the last report (the device's\n"
                "log and what it wrote with DMA_WRITE messages), and each\n"
                "run of them as a range of addresses. The page size\n"
                "defaults to logging's; IOVA and LEN must be multiples of\n"
                "it, and one report covers at most 128M pages. In JSON the\n"
                "runs are objects with iova, length and pages.\n",
        .value = "the number of dirty pages",
        .example = "dirty report 0x100000000 64k\n"
                   "expect dirty report $buf 4k == 1\n",
        .fn = cmd_dirty_report,
        .min_args = 2,
        .max_args = 4,
        .words = "--page-size",
    },
    {
        .name = "migrate",
        .sub = "state",
        .args = "[STATE]",
        .summary = "show the migration state, or move to another",
        .help = "Without STATE, print the device's migration state. With\n"
                "it, move the device there through the states the\n"
                "specification requires on the way: STOP, RUNNING,\n"
                "STOP_COPY, RESUMING or PRE_COPY (when the device has it),\n"
                "in any case. ERROR and the P2P states cannot be asked for.\n",
        .value = "the state's number (STOP 1, RUNNING 2, STOP_COPY 3, "
                 "RESUMING 4, PRE_COPY 6)",
        .example = "migrate state\nmigrate state stop\n"
                   "expect migrate state == 2\n",
        .fn = cmd_migrate_state,
        .min_args = 0,
        .max_args = 1,
        .first_arg = VUCTL_ARG_MIGSTATE,
    },
    {
        .name = "migrate",
        .sub = "save",
        .args = "FILE",
        .summary = "save the device's state to a file",
        .help = "Move the device to STOP_COPY, read all its migration data\n"
                "into FILE, and leave it in STOP. The file says what it is:\n"
                "a header with the format, the PCI ids, the page size and a\n"
                "CRC-32 of the data. It is written beside FILE first and\n"
                "renamed over it only once complete, readable by you alone;\n"
                "a failed save leaves no file behind.\n",
        .example = "migrate save dev.state\n",
        .fn = cmd_migrate_save,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_FILE,
    },
    {
        .name = "migrate",
        .sub = "load",
        .args = "FILE",
        .summary = "load a saved state into the device",
        .help = "Check FILE completely (header, size, CRC-32, and that its\n"
                "PCI ids are this device's) before anything is sent, then\n"
                "move the device to RESUMING, send the data, and move it to\n"
                "RUNNING.\n",
        .example = "migrate load dev.state\n",
        .fn = cmd_migrate_load,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_FILE,
    },
};

const struct vuctl_cmd_table vuctl_mig_table = {
    mig_cmds, sizeof(mig_cmds) / sizeof(mig_cmds[0])};
