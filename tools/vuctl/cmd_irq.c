/* SPDX-License-Identifier: BSD-3-Clause */
/* The irq commands: interrupts through eventfds that libvuc owns. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <vuc/vuc.h>

#include "args.h"
#include "cmds.h"
#include "output.h"
#include "parse.h"
#include "vuctl.h"

/* The default and the longest wait of irq wait. */
#define WAIT_DEFAULT_MS 5000u
#define WAIT_MAX_MS (24u * 3600 * 1000)

/* ---- What vuctl enabled ------------------------------------------------- */

static bool covered(const struct vuctl *v, uint32_t index, uint32_t vector)
{
    for (size_t i = 0; i < v->nirqs; i++) {
        const struct vuctl_irq_range *r = &v->irqs[i];

        if (r->index == index &&
            (vector == UINT32_MAX ||
             (vector >= r->start && vector - r->start < r->count)))
            return true;
    }
    return false;
}

static int remember(struct vuctl *v, uint32_t index, uint32_t start,
                    uint32_t count)
{
    struct vuctl_irq_range *grown;

    /* Enabling the same vectors again is common; keep the list short. */
    for (size_t i = 0; i < v->nirqs; i++) {
        const struct vuctl_irq_range *r = &v->irqs[i];

        if (r->index == index && start >= r->start &&
            start - r->start <= r->count &&
            count <= r->count - (start - r->start))
            return 0;
    }
    grown = realloc(v->irqs, (v->nirqs + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    v->irqs = grown;
    v->irqs[v->nirqs++] = (struct vuctl_irq_range){index, start, count};
    return 0;
}

/* ---- Arguments ---------------------------------------------------------- */

static int arg_irq(struct vuctl *v, const char *tok, uint32_t *index)
{
    uint64_t n;

    for (uint32_t i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++) {
        if (!strcasecmp(tok, vuc_irq_name(i))) {
            *index = i;
            return 0;
        }
    }
    if (tok[0] >= '0' && tok[0] <= '9') {
        int rc = vuctl_arg_u64(v, tok, UINT32_MAX - 1, &n);

        if (rc)
            return rc;
        *index = (uint32_t)n;
        return 0;
    }
    return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                      "bad irq index '%s': expected a number or one of INTX, "
                      "MSI, MSIX, ERR, REQ",
                      tok);
}

/* "MSIX" for a name the user typed, "7" for a number. */
static void irq_label(uint32_t index, const char *tok, char *buf, size_t len)
{
    if (tok[0] >= '0' && tok[0] <= '9')
        snprintf(buf, len, "%" PRIu32, index);
    else
        snprintf(buf, len, "%s (%" PRIu32 ")", vuc_irq_name(index), index);
}

/* The connected device's irq index, after checking that it exists. */
static int irq_get(struct vuctl *v, uint32_t index, const char *tok,
                   const struct vuc_irq_info **info)
{
    const struct vuc_device_info *d;
    char label[48];
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    *info = vuc_get_irq_info(v->client, index);
    if (*info)
        return 0;
    d = vuc_get_device_info(v->client);
    irq_label(index, tok, label, sizeof(label));
    if (!d || d->num_irqs == 0)
        return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                          "irq index %s does not exist (the device has no "
                          "interrupts)",
                          label);
    return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                      "irq index %s does not exist (the device has %" PRIu32
                      ", 0 to %" PRIu32 ")",
                      label, d->num_irqs, d->num_irqs - 1);
}

/* Fail unless [start, start + count) are vectors of the index. */
static int vectors_check(struct vuctl *v, const struct vuc_irq_info *info,
                         uint64_t start, uint64_t count)
{
    const char *name = vuc_irq_name(info->index);

    if (info->count == 0)
        return vuctl_fail(v, VUCTL_FAIL, ERANGE, "%s has no vectors", name);
    if (count == 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "a count of 0 vectors");
    if (start >= info->count || count > info->count - start)
        return vuctl_fail(
            v, VUCTL_FAIL, ERANGE,
            "vectors %" PRIu64 " to %" PRIu64
            " are outside %s, which has %" PRIu32 " (0 to %" PRIu32 ")",
            start, start + count - 1, name, info->count, info->count - 1);
    return 0;
}

/* ---- Handlers ----------------------------------------------------------- */

static int cmd_irq_enable(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_irq_info *info;
    uint64_t start = 0, count = 0;
    uint32_t index = 0;
    int rc;

    if ((rc = arg_irq(v, argv[1], &index)) ||
        (argc == 3 && (rc = vuctl_arg_u64(v, argv[2], UINT32_MAX, &count))) ||
        (argc == 4 && ((rc = vuctl_arg_u64(v, argv[2], UINT32_MAX, &start)) ||
                       (rc = vuctl_arg_u64(v, argv[3], UINT32_MAX, &count)))) ||
        (rc = irq_get(v, index, argv[1], &info)))
        return rc;
    if (argc == 2)
        count = info->count;
    if ((rc = vectors_check(v, info, start, count)))
        return rc;
    if (!(info->flags & VFIO_USER_IRQ_INFO_EVENTFD))
        return vuctl_fail(v, VUCTL_FAIL, ENOTSUP,
                          "%s cannot signal eventfds (its irq info lacks the "
                          "EVENTFD flag)",
                          vuc_irq_name(index));
    if (remember(v, index, (uint32_t)start, (uint32_t)count) < 0)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    rc = vuc_irq_enable(v->client, index, (uint32_t)start, (uint32_t)count,
                        NULL, NULL);
    if (rc < 0) {
        /* libvuc released what it had set up; whatever was enabled before
         * may be gone too, as a NORESIZE index is disabled to grow. */
        vuctl_irq_forget(v, index);
        return vuctl_fail_lib(v, v->client, rc, "irq enable");
    }
    out_irq_set(v, "irq enable", index, (uint32_t)start, (uint32_t)count);
    return VUCTL_OK;
}

static int cmd_irq_disable(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_irq_info *info;
    uint32_t index = 0;
    int rc;

    if ((rc = arg_irq(v, argv[1], &index)) ||
        (rc = irq_get(v, index, argv[1], &info)))
        return rc;
    rc = vuc_irq_disable(v->client, index);
    /* Whether or not the server took it, libvuc let go of the eventfds. */
    vuctl_irq_forget(v, index);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "irq disable");
    out_irq_set(v, "irq disable", index, 0, info->count);
    return VUCTL_OK;
}

/* A TIMEOUT is told from an INDEX or VECTOR by its unit. */
static bool has_unit(const char *tok)
{
    size_t n = strlen(tok);

    return n > 1 && (tok[n - 1] == 's') && tok[0] >= '0' && tok[0] <= '9';
}

/*
 * Split "--count N" (or --count=N), wherever it is, from the other
 * arguments, which go to pos[1..*npos) (pos[0] is the command word; pos
 * holds at least argc entries). *count stays 0 without it.
 */
static int count_opt(struct vuctl *v, int argc, char **argv, char **pos,
                     int *npos, uint64_t *count)
{
    const char *opt = "--count";
    size_t optlen = strlen(opt);
    int out = 1;

    pos[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *tok = argv[i], *val;
        int rc;

        if (strncmp(tok, opt, optlen) ||
            (tok[optlen] != '\0' && tok[optlen] != '=')) {
            if (tok[0] == '-')
                return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                                  "unknown option '%s' (expected --count)",
                                  tok);
            pos[out++] = argv[i];
            continue;
        }
        if (*count)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "--count given twice");
        if (tok[optlen] == '\0' && i + 1 >= argc)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "--count needs a value");
        val = tok[optlen] ? tok + optlen + 1 : argv[++i];
        if ((rc = vuctl_arg_u64(v, val, UINT64_MAX, count)))
            return rc;
        if (*count == 0)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "bad count '%s': must be at least 1", val);
    }
    *npos = out;
    return 0;
}

/*
 * Wait until the vector has had @want interrupts since it was enabled, in
 * as many waits as it takes: an eventfd adds signals up, so how many one
 * wait sees depends on timing, but the count does not. @ev sums what the
 * waits reported.
 */
static int wait_for_count(struct vuctl *v, uint32_t index, uint32_t vector,
                          uint64_t want, uint64_t ms, struct vuc_irq_event *ev)
{
    uint64_t deadline = vuctl_now_ms() + ms;
    struct vuc_irq_event one;

    *ev = (struct vuc_irq_event){index, vector, 0};
    /* Reached before the command: still report what no wait has, as a
     * plain wait would (libvuc has no non-blocking take; 1 ms is its
     * shortest wait, spent only when nothing is unseen). */
    if (vuc_irq_total(v->client, index, vector) >= want) {
        if (vuc_irq_wait(v->client, index, vector, 1, &one) == 0)
            ev->count = one.count;
        return 0;
    }
    while (vuc_irq_total(v->client, index, vector) < want) {
        uint64_t now = vuctl_now_ms();
        int rc;

        rc = now >= deadline ? -ETIMEDOUT
                             : vuc_irq_wait(v->client, index, vector,
                                            (int)(deadline - now), &one);
        if (rc == -ETIMEDOUT)
            return vuctl_fail(
                v, VUCTL_FAIL, ETIMEDOUT,
                "%s vector %" PRIu32 " had %" PRIu64 " of %" PRIu64
                " interrupts within %" PRIu64 " ms",
                vuc_irq_name(index), vector,
                vuc_irq_total(v->client, index, vector), want, ms);
        if (rc < 0)
            return vuctl_fail_lib(v, v->client, rc, "irq wait");
        ev->count += one.count;
    }
    return 0;
}

static int cmd_irq_wait(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_irq_info *info = NULL;
    uint32_t index = VUC_IRQ_ANY, vector = VUC_IRQ_ANY;
    uint64_t ms = WAIT_DEFAULT_MS, n, want = 0;
    struct vuc_irq_event ev;
    char err[256], what[96];
    /* The positional arguments; argv itself belongs to the caller. */
    char *pos[6];
    int nargs, rc;

    if (argc > (int)(sizeof(pos) / sizeof(pos[0])))
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "too many arguments");
    if ((rc = count_opt(v, argc, argv, pos, &argc, &want)))
        return rc;
    argv = pos;
    nargs = argc - 1;
    if (nargs > 3)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected 0 to 3 arguments besides --count, got %d "
                          "(usage: irq wait [INDEX [VECTOR]] [TIMEOUT] "
                          "[--count N])",
                          nargs);
    /* The last argument is the timeout when it has a unit, or when all
     * three are given. */
    if (nargs == 3 || (nargs > 0 && has_unit(argv[nargs]))) {
        rc = vuctl_parse_duration(argv[nargs], WAIT_MAX_MS, &ms, err,
                                  sizeof(err));
        if (rc)
            return vuctl_fail(v, VUCTL_USAGE, -rc, "%s", err);
        if (ms == 0)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "bad duration '%s': the timeout must be at "
                              "least 1 ms",
                              argv[nargs]);
        nargs--;
    }
    if (nargs >= 1 && strcasecmp(argv[1], "any")) {
        if ((rc = arg_irq(v, argv[1], &index)) ||
            (rc = irq_get(v, index, argv[1], &info)))
            return rc;
    }
    if (nargs >= 2 && strcasecmp(argv[2], "any")) {
        if (index == VUC_IRQ_ANY)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "a VECTOR needs an INDEX, not 'any'");
        if ((rc = vuctl_arg_u64(v, argv[2], UINT32_MAX - 1, &n)) ||
            (rc = vectors_check(v, info, n, 1)))
            return rc;
        vector = (uint32_t)n;
    }
    if (want && vector == VUC_IRQ_ANY)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "--count needs an INDEX and a VECTOR: it counts "
                          "one vector's interrupts");
    if ((rc = vuctl_need_client(v, true)))
        return rc;

    if (index == VUC_IRQ_ANY)
        snprintf(what, sizeof(what), "any vector");
    else if (vector == VUC_IRQ_ANY)
        snprintf(what, sizeof(what), "any vector of %s", vuc_irq_name(index));
    else
        snprintf(what, sizeof(what), "%s vector %" PRIu32, vuc_irq_name(index),
                 vector);
    /* Waiting for a vector without an eventfd could only time out. */
    if (index == VUC_IRQ_ANY && v->nirqs == 0)
        return vuctl_fail(v, VUCTL_FAIL, ENOENT,
                          "no vector is enabled: nothing to wait for (use "
                          "'irq enable INDEX' first)");
    if (index != VUC_IRQ_ANY && vector == VUC_IRQ_ANY &&
        !covered(v, index, UINT32_MAX))
        return vuctl_fail(v, VUCTL_FAIL, ENOENT,
                          "no vector of %s is enabled: nothing to wait for "
                          "(use 'irq enable %s' first)",
                          vuc_irq_name(index), vuc_irq_name(index));
    if (vector != VUC_IRQ_ANY && !covered(v, index, vector))
        return vuctl_fail(v, VUCTL_FAIL, ENOENT,
                          "%s is not enabled: nothing to wait for (use 'irq "
                          "enable %s' first)",
                          what, vuc_irq_name(index));

    /* Under the fenced policy libvuc fences before it waits; fencing here
     * first keeps a fence that times out (the connection's trouble) apart
     * from an interrupt that does not come. */
    if (vuc_get_posting(v->client) == VUC_POSTING_FENCED &&
        (rc = vuc_fence(v->client)) < 0)
        return vuctl_fail_lib(v, v->client, rc, "irq wait");
    if (want) {
        if ((rc = wait_for_count(v, index, vector, want, ms, &ev)))
            return rc;
        if (!vuctl_capture(v, ev.count))
            out_irq_event(v, &ev);
        return VUCTL_OK;
    }
    rc = vuc_irq_wait(v->client, index, vector, (int)ms, &ev);
    if (rc == -ETIMEDOUT)
        return vuctl_fail(v, VUCTL_FAIL, ETIMEDOUT,
                          "no interrupt on %s within %" PRIu64 " ms", what, ms);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "irq wait");
    if (!vuctl_capture(v, ev.count))
        out_irq_event(v, &ev);
    return VUCTL_OK;
}

/* irq mask, unmask and trigger: argv[0] says which. */
static int cmd_irq_action(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_irq_info *info;
    uint64_t start = 0, count = 1;
    uint32_t index = 0, action = 0;
    char cmd[32];
    int rc;

    if (!strcmp(argv[0], "mask"))
        action = VFIO_USER_IRQ_SET_ACTION_MASK;
    else if (!strcmp(argv[0], "unmask"))
        action = VFIO_USER_IRQ_SET_ACTION_UNMASK;
    else
        action = VFIO_USER_IRQ_SET_ACTION_TRIGGER;
    snprintf(cmd, sizeof(cmd), "irq %s", argv[0]);
    if ((rc = arg_irq(v, argv[1], &index)) ||
        (argc > 2 && (rc = vuctl_arg_u64(v, argv[2], UINT32_MAX, &start))) ||
        (argc > 3 && (rc = vuctl_arg_u64(v, argv[3], UINT32_MAX, &count))) ||
        (rc = irq_get(v, index, argv[1], &info)))
        return rc;
    if (argc == 2)
        count = info->count;
    if ((rc = vectors_check(v, info, start, count)))
        return rc;
    if (action != VFIO_USER_IRQ_SET_ACTION_TRIGGER &&
        !(info->flags & VFIO_USER_IRQ_INFO_MASKABLE))
        return vuctl_fail(v, VUCTL_FAIL, ENOTSUP,
                          "%s cannot be masked (its irq info lacks the "
                          "MASKABLE flag)",
                          vuc_irq_name(index));
    rc = vuc_irq_action(v->client, index, (uint32_t)start, (uint32_t)count,
                        action, NULL);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, cmd);
    out_irq_set(v, cmd, index, (uint32_t)start, (uint32_t)count);
    return VUCTL_OK;
}

static int cmd_irq_count(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_irq_info *info;
    uint64_t vector, total;
    uint32_t index = 0;
    int rc;

    if ((rc = arg_irq(v, argv[1], &index)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT32_MAX - 1, &vector)) ||
        (rc = irq_get(v, index, argv[1], &info)) ||
        (rc = vectors_check(v, info, vector, 1)))
        return rc;
    if (!covered(v, index, (uint32_t)vector))
        return vuctl_fail(v, VUCTL_FAIL, ENOENT,
                          "%s vector %" PRIu64 " is not enabled (use 'irq "
                          "enable %s' first)",
                          vuc_irq_name(index), vector, vuc_irq_name(index));
    total = vuc_irq_total(v->client, index, (uint32_t)vector);
    if (!vuctl_capture(v, total))
        out_irq_count(v, index, (uint32_t)vector, total);
    return VUCTL_OK;
}

static int cmd_irqs(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    /* argv[0] is "info" for `irq info`, the same table. */
    out_irqs(v, strcmp(argv[0], "info") ? "irqs" : "irq info");
    return VUCTL_OK;
}

/* Interrupts. */
static const struct vuctl_cmd irq_cmds[] = {
    {
        .name = "irqs",
        .args = "",
        .summary = "list the device's interrupt indexes",
        .help = "List every irq index: index, name, number of vectors and\n"
                "flags (eventfd, maskable, automasked, noresize). irq info\n"
                "is the same command in the irq group.\n",
        .example = "irqs\n",
        .fn = cmd_irqs,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "irq",
        .sub = "info",
        .args = "",
        .summary = "list the device's interrupt indexes (as irqs)",
        .help = "The same table as irqs: every irq index with its name,\n"
                "number of vectors and flags.\n",
        .example = "irq info\n",
        .fn = cmd_irqs,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "irq",
        .sub = "enable",
        .args = "INDEX [VECTORS | START COUNT]",
        .summary = "give vectors eventfds that vuctl counts and waits on",
        .help = "Enable COUNT vectors from START of the irq INDEX (default:\n"
                "all of them; VECTORS alone means vectors 0 to VECTORS-1)\n"
                "with eventfds that libvuc owns and reads, so that irq wait\n"
                "and irq count see their interrupts. INDEX is a number or a\n"
                "name: INTX, MSI, MSIX, ERR, REQ, in any case. On a NORESIZE\n"
                "index (MSI, MSI-X), growing the enabled set disables the\n"
                "index and enables the new set; libvuc does that.\n",
        .example = "irq enable MSIX\nirq enable msix 4\nirq enable 2 8 2\n",
        .fn = cmd_irq_enable,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "disable",
        .args = "INDEX",
        .summary = "disable every vector of an irq index",
        .help = "Disable all vectors of INDEX (SET_IRQS with count 0) and\n"
                "close their eventfds; their counts start again at 0 when\n"
                "enabled anew.\n",
        .example = "irq disable MSIX\n",
        .fn = cmd_irq_disable,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "wait",
        .args = "[INDEX [VECTOR]] [TIMEOUT] [--count N]",
        .summary = "wait for an interrupt",
        .help = "Wait for an interrupt on an enabled vector: of any index\n"
                "(without INDEX, or with 'any'), of INDEX, or on VECTOR of\n"
                "INDEX, and print the index, the vector and how many\n"
                "interrupts it had since the last wait that reported it\n"
                "(an eventfd adds them up). One that came before the wait\n"
                "is reported at once. TIMEOUT (default 5s) is a number with\n"
                "the unit ms or s, which tells it from an INDEX or VECTOR; as\n"
                "the third argument the unit may be left out (then ms). No\n"
                "interrupt within it fails the command (exit status 1 in a\n"
                "script); so does waiting for vectors that are not enabled.\n"
                "--count N waits, within TIMEOUT, until VECTOR of INDEX has\n"
                "had N interrupts since it was enabled (as irq count\n"
                "prints): how many signals one wait sees depends on timing,\n"
                "the count does not, so scripts that fire several times\n"
                "should wait for the count.\n",
        .value = "the number of interrupts reported",
        .example = "irq wait\nirq wait MSIX 3\nirq wait 100ms\n"
                   "irq wait MSIX any 2s\nexpect irq wait INTX 0 == 1\n"
                   "irq wait MSIX 3 1s --count 4\n",
        .fn = cmd_irq_wait,
        .min_args = 0,
        .max_args = 5,
        .first_arg = VUCTL_ARG_IRQ,
        .words = "any --count",
    },
    {
        .name = "irq",
        .sub = "mask",
        .args = "INDEX [START [COUNT]]",
        .summary = "mask vectors of a maskable irq index",
        .help = "Mask COUNT vectors (default 1) from START of INDEX, or every\n"
                "vector without START (SET_IRQS ACTION_MASK). Only indexes\n"
                "whose flags say maskable (usually INTX) can be masked; the\n"
                "device holds what fires meanwhile as pending.\n",
        .example = "irq mask INTX\n",
        .fn = cmd_irq_action,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "unmask",
        .args = "INDEX [START [COUNT]]",
        .summary = "unmask vectors of a maskable irq index",
        .help = "Unmask vectors as irq mask masks them (SET_IRQS\n"
                "ACTION_UNMASK); a device signals what is pending at once.\n"
                "libvuc unmasks an automasked INTx by itself after each\n"
                "interrupt.\n",
        .example = "irq unmask INTX 0\n",
        .fn = cmd_irq_action,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "trigger",
        .args = "INDEX [START [COUNT]]",
        .summary = "ask the device to signal vectors",
        .help = "Ask the device to raise COUNT vectors (default 1) from\n"
                "START of INDEX, or every vector without START (SET_IRQS\n"
                "ACTION_TRIGGER, no data): a loopback test of the eventfds.\n",
        .example = "irq trigger MSIX 3\n",
        .fn = cmd_irq_action,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "count",
        .args = "INDEX VECTOR",
        .summary = "how many interrupts an enabled vector had",
        .help = "Print how many interrupts VECTOR of INDEX had since it was\n"
                "enabled, in decimal, whether or not irq wait reported them.\n",
        .value = "the number of interrupts",
        .example = "irq count MSIX 0\nexpect irq count MSIX 0 == 3\n",
        .fn = cmd_irq_count,
        .min_args = 2,
        .max_args = 2,
        .first_arg = VUCTL_ARG_IRQ,
    },
};

const struct vuctl_cmd_table vuctl_irq_table = {
    irq_cmds, sizeof(irq_cmds) / sizeof(irq_cmds[0])};
