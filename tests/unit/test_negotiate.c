/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two JSON halves of VERSION, without a socket: what we propose, and
 * how we read what real servers answer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "negotiate.h"

static struct vuc_options defaults, no_twin;

static int group_setup(void **state)
{
    struct vuc_options *o = vuc_options_new();
    defaults = *o;
    vuc_options_set_twin_socket(o, false);
    no_twin = *o;
    vuc_options_free(o);
    return 0;
}

static void test_twin_reply(void **state)
{
    const char *j = "{\"capabilities\":{\"twin_socket\":{\"supported\":"
                    "true,\"fd_index\":0}}}";
    struct vuc_caps caps;
    struct vuc_wire_err err;
    int twin;
    assert_int_equal(
        vuc_negotiate_parse(j, strlen(j), &defaults, &caps, &twin, &err), 0);
    assert_true(caps.twin_socket);
    assert_int_equal(twin, 0);
}

static void test_proposal(void **state)
{
    struct vuc_options *o = vuc_options_new();
    vuc_options_set_max_msg_fds(o, 16);
    char *json = vuc_negotiate_proposal(o);
    assert_string_equal(json,
                        "{\"capabilities\":{\"max_data_xfer_size\":1048576,"
                        "\"max_dma_maps\":65535,\"max_msg_fds\":16,"
                        "\"migration\":{\"pgsize\":4096},\"pgsizes\":4096,"
                        "\"twin_socket\":{\"supported\":true},"
                        "\"write_multiple\":true}}");
    free(json);
    /* Without twin-socket mode it is not proposed at all. */
    vuc_options_set_twin_socket(o, false);
    json = vuc_negotiate_proposal(o);
    assert_null(strstr(json, "twin_socket"));
    free(json);
    vuc_options_free(o);
}

/* libvfio-user's reply, byte for byte as its json-c prints it. */
static void test_libvfio_user_reply(void **state)
{
    const char *j = "{ \"capabilities\": { \"max_msg_fds\": 8, "
                    "\"max_data_xfer_size\": 1048576, \"migration\": { "
                    "\"pgsize\": 4096 } } }";
    struct vuc_caps caps;
    struct vuc_wire_err err;
    int twin;
    assert_int_equal(
        vuc_negotiate_parse(j, strlen(j), &defaults, &caps, &twin, &err), 0);
    assert_int_equal(twin, -1);
    assert_int_equal(caps.server_max_msg_fds, 8);
    assert_int_equal(caps.server_max_data_xfer_size, 1048576);
    assert_int_equal(caps.migration_pgsize, 4096);
    assert_int_equal(caps.max_dma_maps, 65535);
    assert_false(caps.twin_socket);
}

static void test_defaults_without_json(void **state)
{
    struct vuc_caps caps;
    struct vuc_wire_err err;
    int twin;
    memset(&caps, 0xff, sizeof(caps));
    assert_int_equal(
        vuc_negotiate_parse(NULL, 0, &defaults, &caps, &twin, &err), 0);
    assert_int_equal(caps.server_max_msg_fds, 1);
    assert_int_equal(caps.server_max_data_xfer_size, 1048576);
    assert_int_equal(caps.pgsizes, 4096);
    assert_int_equal(caps.migration_pgsize, 0);
    assert_false(caps.write_multiple);
}

static void reject_with(const struct vuc_options *o, const char *json,
                        const char *text)
{
    struct vuc_caps caps;
    struct vuc_wire_err err;
    int twin;
    assert_int_equal(
        vuc_negotiate_parse(json, strlen(json), o, &caps, &twin, &err),
        -EPROTO);
    if (strstr(err.text, text) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", err.text, text);
    }
}

static void reject(const char *json, const char *text)
{
    reject_with(&defaults, json, text);
}

static void test_rejections(void **state)
{
    reject("{\"capabilities\":{\"max_msg_fds\":0}}", "\"max_msg_fds\" is 0");
    reject("{\"capabilities\":{\"max_msg_fds\":100000}}", "outside");
    reject("{\"capabilities\":{\"max_msg_fds\":1.5}}", "not an integer");
    reject("{\"capabilities\":{\"max_data_xfer_size\":2147483648}}", "outside");
    reject("{\"capabilities\":{\"pgsizes\":0}}", "\"pgsizes\" is 0");
    reject("{\"capabilities\":{\"migration\":4096}}", "not an object");
    reject("{\"capabilities\":{\"migration\":{\"pgsize\":512}}}", "outside");
    reject("{\"capabilities\":{\"migration\":{\"max_bitmap\":1}}}",
           "\"migration.max_bitmap\" was not proposed");
    reject("{\"capabilities\":{\"twin_socket\":{\"supported\":1}}}",
           "not a boolean");
    reject("{\"capabilities\":{\"twin_socket\":{\"fd_index\":-1}}}", "outside");
    reject("{\"capabilities\":{\"twin_socket\":{\"fd\":0}}}",
           "\"twin_socket.fd\" was not proposed");
    reject("{\"capabilities\":{\"twin_socket\":[]}}", "not an object");
    reject_with(&no_twin,
                "{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}",
                "\"twin_socket\" was not proposed");
    reject("{\"capabilities\":{\"bogus\":1}}", "\"bogus\" was not proposed");
    reject("\"capabilities\"", "invalid JSON");
    reject("{} trailing", "invalid JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proposal),
        cmocka_unit_test(test_libvfio_user_reply),
        cmocka_unit_test(test_defaults_without_json),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_twin_reply),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
