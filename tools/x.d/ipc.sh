# The kernel-object model (lib/ipc): its tests under ThreadSanitizer (the plain and ASan builds
# run them with the others), in the executor's TSan build folder (x_tsan_test, tools/x.d/async.sh).
# Sourced by ./x.

test_tier_17_ipc_tsan() { x_tsan_test ipc_test; }
