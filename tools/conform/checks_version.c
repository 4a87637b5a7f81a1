/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Negotiation ("VFIO_USER_VERSION"): the reply the shared session got, and
 * malformed proposals on connections of their own, each followed by the
 * question whether the server still serves.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "conform_int.h"

#define SEC "VFIO_USER_VERSION"

static void major_echoed(struct cf_t *t)
{
    if (t->s->major != 0)
        cf_fail(t, "proposed major 0, the reply has major %u", t->s->major);
}

static void minor_at_most_ours(struct cf_t *t)
{
    if (t->s->minor != 0)
        cf_fail(t, "proposed minor 0, the reply has minor %u", t->s->minor);
}

static void json_valid(struct cf_t *t)
{
    const uint8_t *j = t->s->ver + 4;
    size_t len = t->s->ver_len - 4;
    json_error_t jerr;
    json_t *root;

    if (t->s->ver_len <= 4)
        return; /* "Optional." */
    if (j[len - 1] != '\0') {
        cf_fail(t, "the reply's %zu bytes of version data do not end in a NUL",
                len);
        return;
    }
    if (strlen((const char *)j) != len - 1) {
        cf_fail(t, "the version data has a NUL at byte %zu of %zu",
                strlen((const char *)j), len);
        return;
    }
    root = json_loadb((const char *)j, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        cf_fail(t, "the version data is not JSON: %s (line %d column %d)",
                jerr.text, jerr.line, jerr.column);
        return;
    }
    if (!json_is_object(root))
        cf_fail(t, "the version data is JSON but not an object");
    json_decref(root);
}

/* The types the capability table gives; NULL for unknown names. */
static const char *cap_type(const char *name, json_t *v, bool *ok)
{
    static const struct {
        const char *name;
        json_type type;
        const char *type_name;
    } caps[] = {
        {"max_msg_fds", JSON_INTEGER, "number"},
        {"max_data_xfer_size", JSON_INTEGER, "number"},
        {"max_dma_maps", JSON_INTEGER, "number"},
        {"pgsizes", JSON_INTEGER, "number"},
        {"twin_socket", JSON_OBJECT, "object"},
    };

    if (!strcmp(name, "write_multiple")) {
        *ok = json_is_boolean(v);
        return "boolean";
    }
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        if (strcmp(name, caps[i].name))
            continue;
        *ok = json_typeof(v) == caps[i].type &&
              (caps[i].type != JSON_INTEGER || json_integer_value(v) >= 0);
        return caps[i].type_name;
    }
    return NULL;
}

static json_t *reply_caps(struct cf_t *t, json_t **root)
{
    json_t *caps;

    *root = t->s->json ? json_loads(t->s->json, 0, NULL) : NULL;
    if (!*root)
        return NULL; /* no JSON, or version.json-valid says what is wrong */
    caps = json_object_get(*root, "capabilities");
    if (caps && !json_is_object(caps))
        cf_fail(t, "\"capabilities\" is a JSON %s, not an object",
                json_is_array(caps) ? "array" : "value");
    return json_is_object(caps) ? caps : NULL;
}

static void caps_types(struct cf_t *t)
{
    json_t *root, *caps = reply_caps(t, &root), *v;
    const char *name;

    json_object_foreach(caps, name, v)
    {
        bool ok = true;
        const char *type = cap_type(name, v, &ok);

        if (type && !ok)
            cf_fail(t, "capability \"%s\" must be a non-negative %s", name,
                    type);
    }
    json_decref(root);
}

static void caps_subset(struct cf_t *t)
{
    json_t *root, *caps = reply_caps(t, &root), *v;
    const char *name;
    bool ok;

    json_object_foreach(caps, name, v)
    {
        if (!cap_type(name, v, &ok))
            cf_fail(t,
                    "the reply has capability \"%s\", which the client did "
                    "not propose",
                    name);
    }
    json_decref(root);
}

static void no_twin_unasked(struct cf_t *t)
{
    json_t *root, *caps = reply_caps(t, &root);
    json_t *twin = json_object_get(caps, "twin_socket");

    if (t->s->ver_nfds)
        cf_fail(t,
                "the reply carried %u fds, though twin-socket mode was "
                "not proposed",
                t->s->ver_nfds);
    else if (json_is_true(json_object_get(twin, "supported")))
        cf_fail(t, "twin_socket.supported is true in the reply, though the "
                   "client did not propose it");
    json_decref(root);
}

/* One VERSION proposal on a connection of its own. */
static int propose(struct cf_t *t, struct cf_conn *c, const void *p, size_t len,
                   struct cf_msg *m)
{
    if (!cf_connect_raw(t, c))
        return -ENOTCONN;
    return cf_call(t, c, VFIO_USER_VERSION, 0, p, len, NULL, 0, m);
}

static void higher_minor(struct cf_t *t)
{
    struct cf_conn c;
    struct cf_msg m;
    uint8_t buf[512];
    ssize_t n =
        vuc_wire_enc_version(buf, sizeof(buf), 0, 0xfffe, cf_proposal_json);
    int rc = propose(t, &c, buf, (size_t)n, &m);
    uint16_t minor;

    if (rc == -ENOTCONN)
        return;
    if (rc) {
        cf_fail(t, "proposing 0.65534: %s", cf_io_text(rc));
    } else if (cf_is_error(&m) || m.len < 4) {
        cf_fail(t, "proposing 0.65534: got %s", cf_reply_text(&m));
    } else {
        memcpy(&minor, m.data + 2, 2);
        if (minor > 0xfffe)
            cf_fail(t, "proposing 0.65534, the reply has minor %u", minor);
    }
    cf_msg_free(&m);
    cf_conn_close(&c);
}

static void malformed(struct cf_t *t, const void *p, size_t len,
                      const char *what)
{
    struct cf_conn c;
    struct cf_msg m;
    int rc = propose(t, &c, p, len, &m);

    if (rc == -ENOTCONN)
        return;
    cf_expect_refusal(t, rc, &m, what);
    cf_expect_survival(t, &c);
}

/* A VERSION payload: 0.0 then @p json with @p nul. */
static size_t with_json(uint8_t *buf, size_t cap, const char *json, bool nul)
{
    size_t n = strlen(json) + (nul ? 1 : 0);

    memset(buf, 0, 4);
    if (4 + n > cap)
        n = cap - 4;
    memcpy(buf + 4, json, n);
    return 4 + n;
}

static void bad_json(struct cf_t *t)
{
    uint8_t buf[128];

    malformed(t, buf,
              with_json(buf, sizeof(buf), "{\"capabilities\":{\"max_msg", true),
              "VERSION with truncated JSON");
}

static void missing_nul(struct cf_t *t)
{
    uint8_t buf[128];

    malformed(t, buf,
              with_json(buf, sizeof(buf),
                        "{\"capabilities\":{\"max_msg_fds\":8}}", false),
              "VERSION whose JSON lacks its NUL");
}

static void wrong_types(struct cf_t *t)
{
    uint8_t buf[128];

    malformed(t, buf,
              with_json(buf, sizeof(buf),
                        "{\"capabilities\":{\"max_msg_fds\":\"eight\"}}", true),
              "VERSION with max_msg_fds as a string");
}

static void not_object(struct cf_t *t)
{
    uint8_t buf[128];

    malformed(t, buf, with_json(buf, sizeof(buf), "[1,2,3]", true),
              "VERSION whose JSON is an array");
}

static void short_payload(struct cf_t *t)
{
    uint8_t buf[2] = {0, 0};

    malformed(t, buf, sizeof(buf), "VERSION with a 2-byte payload");
}

static void unknown_major(struct cf_t *t)
{
    struct cf_conn c;
    struct cf_msg m;
    uint8_t buf[512];
    ssize_t n = vuc_wire_enc_version(buf, sizeof(buf), 1, 0, cf_proposal_json);
    int rc = propose(t, &c, buf, (size_t)n, &m);
    uint16_t major;

    if (rc == -ENOTCONN)
        return;
    if (rc == 0 && !cf_is_error(&m) && m.len >= 4) {
        memcpy(&major, m.data, 2);
        if (major != 1)
            cf_fail(t, "proposing major 1, the reply has major %u", major);
        cf_msg_free(&m);
    } else {
        cf_expect_refusal(t, rc, &m, "VERSION proposing major 1");
    }
    cf_expect_survival(t, &c);
}

static void not_first(struct cf_t *t)
{
    struct cf_conn c;
    struct cf_msg m;
    uint8_t buf[16];
    ssize_t n = vuc_wire_enc_device_info(buf, sizeof(buf));
    int rc;

    if (!cf_connect_raw(t, &c))
        return;
    rc = cf_call(t, &c, VFIO_USER_DEVICE_GET_INFO, 0, buf, (size_t)n, NULL, 0,
                 &m);
    cf_expect_refusal(t, rc, &m, "DEVICE_GET_INFO before VERSION");
    cf_expect_survival(t, &c);
}

static void twice(struct cf_t *t)
{
    struct cf_session *s = cf_open_session(t);
    uint8_t buf[512];
    ssize_t n = vuc_wire_enc_version(buf, sizeof(buf), 0, 0, cf_proposal_json);
    struct cf_msg m;
    int rc;

    if (!s)
        return;
    rc = cf_call(t, &s->c, VFIO_USER_VERSION, 0, buf, (size_t)n, NULL, 0, &m);
    cf_expect_refusal(t, rc, &m, "a second VERSION");
    cf_expect_survival(t, &s->c);
    cf_session_close(s);
}

static const struct cf_check checks[] = {
    {"version.major-echoed", SEC, CF_MUST, 0,
     "The major version in the reply must be the same as proposed.",
     major_echoed},
    {"version.minor-at-most-ours", SEC, CF_MUST, 0,
     "The minor version in the reply must be equal to or less than the "
     "minor version proposed.",
     minor_at_most_ours},
    {"version.higher-minor", SEC, CF_MUST, CF_FRESH,
     "The minor version in the reply must be equal to or less than the "
     "minor version proposed (proposing 0.65534).",
     higher_minor},
    {"version.json-valid", SEC, CF_MUST, 0,
     "The version data is an optional UTF-8 encoded JSON byte array "
     "(including terminating NUL).",
     json_valid},
    {"version.caps-types", SEC, CF_MUST, 0,
     "Capabilities have the types the capability table gives (number, "
     "object, boolean).",
     caps_types},
    {"version.caps-subset", SEC, CF_SHOULD, 0,
     "The capability list must be a subset of those proposed. SHOULD: the "
     "client proposes every capability of the table, and the text does not "
     "say whether a server may add ones it does not define.",
     caps_subset},
    {"version.no-twin-unasked", SEC, CF_MUST, 0,
     "If and only if the client has indicated support for twin-socket mode "
     "[...] the server may optionally set up a separate command channel.",
     no_twin_unasked},
    {"version.bad-json", SEC, CF_MUST, CF_FRESH,
     "The version data is an optional UTF-8 encoded JSON byte array: "
     "malformed JSON gets an error reply or a closed connection, and the "
     "server goes on serving.",
     bad_json},
    {"version.missing-nul", SEC, CF_MUST, CF_FRESH,
     "version data [...] variable (including terminating NUL): data without "
     "the NUL gets an error reply or a closed connection.",
     missing_nul},
    {"version.wrong-types", SEC, CF_MUST, CF_FRESH,
     "max_msg_fds | number: a capability of the wrong type gets an error "
     "reply or a closed connection.",
     wrong_types},
    {"version.json-not-object", SEC, CF_SHOULD, CF_FRESH,
     "capabilities | object: version data that is not a JSON object gets an "
     "error reply or a closed connection. SHOULD: it is valid JSON, and the "
     "text does not say that data not in its format is refused.",
     not_object},
    {"version.short-payload", SEC, CF_MUST, CF_FRESH,
     "version major (2 bytes) and minor (2 bytes) are not optional: a "
     "shorter payload gets an error reply or a closed connection.",
     short_payload},
    {"version.unknown-major", SEC, CF_MUST, CF_FRESH,
     "The major version in the reply must be the same as proposed: a "
     "server without major 1 refuses it rather than answering with another.",
     unknown_major},
    {"version.not-first", SEC, CF_SHOULD, CF_FRESH,
     "Upon establishing a connection, the client must send a "
     "VFIO_USER_VERSION message. SHOULD: the text does not say how a server "
     "answers a client that does not; we expect a refusal.",
     not_first},
    {"version.twice", SEC, CF_SHOULD, CF_FRESH,
     "This is the initial message sent by the client. SHOULD: the text does "
     "not say how a second VERSION is answered; we expect a refusal.",
     twice},
};

const struct cf_group cf_version_checks = {checks,
                                           sizeof(checks) / sizeof(checks[0])};
