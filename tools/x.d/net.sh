# Networking (docs/net.md): lwIP, the TCP/IP stack the kernel builds in, comes from Debian's
# source package `lwip` at setup time and is unpacked under build/lwip (none of its code is in
# the tree); the network tests boot Warden with QEMU's user network. Sourced by ./x.
X_PACKAGES+=(xz-utils)

# The lwIP release the kernel's port (kernel/net/lwipopts.h) is written for, and where it goes.
X_LWIP_VERSION=2.1.3
X_LWIP_DIR="$ROOT/build/lwip"

# Rewrites the apt source files so that every entry also offers source packages: a deb822 file
# (*.sources: `Types: deb` -> `Types: deb deb-src`) and a classic list (a `deb-src` line after each
# `deb` line that has none). Prints what it changed; changes nothing when deb-src is there already.
# $1: the folder holding sources.list and sources.list.d (default /etc/apt; tests pass a copy).
x_enable_deb_src() {
  local etc="${1:-/etc/apt}" f sudo=()
  [[ "$(id -u)" != 0 ]] && sudo=(sudo)
  for f in "$etc"/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    # Each stanza: one without deb-src gets it.
    grep -E '^Types:.*\bdeb\b' "$f" | grep -Evq '\bdeb-src\b' || continue
    echo "x: enabling source packages in $f"
    "${sudo[@]}" sed -i -E '/^Types:/{/\bdeb-src\b/!s/\bdeb\b/deb deb-src/}' "$f" || return 1
  done
  for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    grep -Eq '^[[:space:]]*deb-src[[:space:]]' "$f" && continue
    grep -Eq '^[[:space:]]*deb[[:space:]]' "$f" || continue
    echo "x: enabling source packages in $f"
    "${sudo[@]}" sed -i -E 's/^([[:space:]]*)deb([[:space:]].*)$/&\n\1deb-src\2/' "$f" || return 1
  done
}

# True when apt knows a source entry (deb-src) anywhere.
x_have_deb_src() {
  grep -Eqs '^Types:.*\bdeb-src\b' /etc/apt/sources.list.d/*.sources ||
    grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}

# Fetches Debian's lwIP source package (apt-get source --download-only, into build/lwip-src) and
# unpacks its upstream tarball into build/lwip (src/, COPYING, ...). Fast when already unpacked.
# Debian's patches are not applied: they touch the sockets API, PPP and the build files, none of
# which the kernel compiles.
x_lwip_fetch() {
  local stamp="$X_LWIP_DIR/.warden-unpacked"
  [[ -f "$stamp" && "$(<"$stamp")" == "$X_LWIP_VERSION" ]] && return 0
  local sudo=() download="$ROOT/build/lwip-src" log orig
  [[ "$(id -u)" != 0 ]] && sudo=(sudo)
  mkdir -p "$download"
  orig="$(find "$download" -maxdepth 1 -name "lwip_${X_LWIP_VERSION}*.orig.tar.*" | head -n 1)"
  if [[ -z "$orig" ]]; then
    x_say "fetching lwIP $X_LWIP_VERSION (Debian source package lwip)"
    log="$(mktemp)"
    if ! x_have_deb_src; then
      x_enable_deb_src >"$log" 2>&1 || { cat "$log"; rm -f "$log"; x_die "lwIP: cannot enable deb-src entries in /etc/apt"; }
    fi
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1; then
      tail -n 20 "$log"; rm -f "$log"
      x_die "lwIP: apt-get update failed"
    fi
    # Through sudo the files are root's: handed back to the caller below.
    if ! (cd "$download" && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get source --download-only -q lwip >>"$log" 2>&1); then
      tail -n 20 "$log"; rm -f "$log"
      x_die "lwIP: apt-get source lwip failed (are deb-src entries enabled in /etc/apt?)"
    fi
    rm -f "$log"
    [[ ${#sudo[@]} -gt 0 ]] && sudo chown -R "$(id -u):$(id -g)" "$download"
    orig="$(find "$download" -maxdepth 1 -name "lwip_${X_LWIP_VERSION}*.orig.tar.*" | head -n 1)"
    [[ -n "$orig" ]] ||
      x_die "lwIP: Debian's package has no lwip_${X_LWIP_VERSION}*.orig.tar.* (see $download)"
  fi
  rm -rf "$X_LWIP_DIR"
  mkdir -p "$X_LWIP_DIR"
  tar -xf "$orig" -C "$X_LWIP_DIR" --strip-components=1 ||
    { rm -rf "$X_LWIP_DIR"; x_die "lwIP: cannot unpack $orig"; }
  [[ -f "$X_LWIP_DIR/src/core/tcp.c" && -f "$X_LWIP_DIR/src/include/lwip/init.h" ]] ||
    { rm -rf "$X_LWIP_DIR"; x_die "lwIP: $orig does not hold lwIP's sources"; }
  echo "$X_LWIP_VERSION" >"$stamp"
  echo "lwIP $X_LWIP_VERSION unpacked in build/lwip (from $(basename "$orig"))"
}
x_setup_hooks+=(x_lwip_fetch)

# Prints port $1 when nothing on 127.0.0.1 listens on it, else 0 (qemu.py then picks a free one).
x_free_port() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    print(sys.argv[1])
except OSError:
    print(0)
finally:
    s.close()
PY
}

# The network end to end (tests/boot/net_test.py): Warden in QEMU on QEMU's user network, DHCP,
# a TCP connection to an echo server on the host's loopback, hostile frames, the boot arguments.
test_tier_24_net() {
  x_kernel_build || return 1
  x_initrd || return 1
  python3 "$ROOT/tests/boot/net_test.py" --kernel "$KERNEL_ELF" --initrd "$INITRD" || return 1
  python3 "$ROOT/tests/boot/http_test.py" --kernel "$KERNEL_ELF" --initrd "$INITRD" \
    --www "$ROOT/build/www"
}

# help: bench net            httpd in Warden (QEMU, 1 and 4 harts) and on the hosted runner: requests/s and latency (ab -k), bulk MiB/s
bench_net() {
  x_kernel_build || return 1
  x_initrd || return 1
  x_wasm_run_build || return 1
  python3 "$ROOT/tools/bench/net.py" --kernel "$KERNEL_ELF" --initrd "$INITRD" \
    --www "$ROOT/build/www" --runner "$WASM_RUN" --httpd "$ROOT/build/apps/bin/httpd.wasm" \
    --out "$ROOT/build/bench" "$@"
}
