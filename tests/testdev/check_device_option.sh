#!/bin/sh
# vuc-testdev --device: the list of personalities, and the usage error for
# a device it does not have. Usage: check_device_option.sh VUC_TESTDEV
set -u
dev=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$dev" --device=help) || fail "--device=help exited with $?"
echo "$out" | grep -q '^  testdev .*(the default)$' ||
    fail "--device=help does not list testdev as the default: $out"

# Needs no socket: the device is chosen before anything else is checked.
err=$("$dev" --device=nosuch --socket-path=/nonexistent/x 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 2 ] || fail "--device=nosuch exited with $rc, expected 2 (usage)"
echo "$err" | grep -q "unknown device 'nosuch' (choices: testdev" ||
    fail "--device=nosuch does not name the device and the choices: $err"

err=$("$dev" --device nosuch --fd=0 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 2 ] || fail "--device nosuch (two words) exited with $rc"

out=$("$dev" --help) || fail "--help exited with $?"
echo "$out" | grep -q -- '--device=NAME' || fail "--help lacks --device"
echo "$out" | grep -q '^Devices and their own options:' ||
    fail "--help lacks the devices"
echo "ok"
