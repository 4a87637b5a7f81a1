/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands about the device as a whole: reset, the order of writes, dirty
 * page logging and migration.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* ---- Reset ----------------------------------------------------------------
 */

int vuctl_cmd_reset(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_device_info *d;
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    d = vuc_get_device_info(v->client);
    if (d && !(d->flags & VFIO_USER_DEVICE_FLAGS_RESET))
        return vuctl_fail(v, VUCTL_FAIL, ENOTSUP,
                          "the device cannot be reset (its device info "
                          "lacks the RESET flag)");
    rc = vuc_device_reset(v->client);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "reset");
    out_done(v, "reset");
    return VUCTL_OK;
}

/* ---- Write ordering -------------------------------------------------------
 */

static const char *const posting_names[] = {
    [VUC_POSTING_STRICT] = "strict",
    [VUC_POSTING_FENCED] = "fenced",
    [VUC_POSTING_POSTED] = "posted",
};

const char *vuctl_posting_name(int policy)
{
    if (policy < 0 ||
        (size_t)policy >= sizeof(posting_names) / sizeof(posting_names[0]))
        return "unknown";
    return posting_names[policy];
}

int vuctl_set_posting(struct vuctl *v, const char *mode)
{
    int policy = -1, rc;

    for (int i = VUC_POSTING_STRICT; i <= VUC_POSTING_POSTED; i++)
        if (!strcmp(mode, vuctl_posting_name(i)))
            policy = i;
    if (policy < 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad posting policy '%s': expected strict, fenced "
                          "or posted",
                          mode);
    if ((rc = vuctl_need_client(v, true)))
        return rc;
    rc = vuc_set_posting(v->client, (enum vuc_posting)policy);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "set posting");
    out_posting(v, policy);
    return VUCTL_OK;
}

int vuctl_cmd_fence(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    rc = vuc_fence(v->client);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "fence");
    out_done(v, "fence");
    return VUCTL_OK;
}

int vuctl_cmd_posted_safe(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint64_t offset, len;
    uint32_t region;
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = vuctl_arg_u64(v, argv[3], UINT64_MAX, &len)))
        return rc;
    if (len == 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "bad length '%s': 0 bytes",
                          argv[3]);
    if ((rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_WRITE,
                                 offset, len)))
        return rc;
    rc = vuc_posted_safe(v->client, region, offset, len);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "posted-safe");
    out_posted_safe(v, region, offset, len);
    return VUCTL_OK;
}

/* ---- Dirty pages ------------------------------------------------------------
 */

const char *vuctl_dirty_mode_name(int mode)
{
    switch (mode) {
    case VUC_DIRTY_OFF:
        return "off";
    case VUC_DIRTY_LOGGING:
        return "logging";
    case VUC_DIRTY_LEGACY:
        return "legacy";
    default:
        return "unknown";
    }
}

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

int vuctl_cmd_dirty_start(struct vuctl *v, int argc, char **argv)
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

int vuctl_cmd_dirty_stop(struct vuctl *v, int argc, char **argv)
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

int vuctl_cmd_dirty_report(struct vuctl *v, int argc, char **argv)
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

int vuctl_cmd_migrate_state(struct vuctl *v, int argc, char **argv)
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
int vuctl_cmd_migrate_save(struct vuctl *v, int argc, char **argv)
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

int vuctl_cmd_migrate_load(struct vuctl *v, int argc, char **argv)
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
