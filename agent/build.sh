#!/bin/sh
# Builds the guest agent: a static, stripped i386 binary at agent/out/sandbox86-agent.
# Idempotent: does nothing when the binary is newer than every source. CC overrides the compiler.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
bin="$out/sandbox86-agent"
cc=${CC:-gcc}
srcs="$here/main.c $here/exec.c $here/files.c $here/sys.c $here/console.c"
mkdir -p "$out"
if [ -x "$bin" ]; then
    stale=0
    for f in $srcs "$here/agent.h" "$0"; do
        if [ "$f" -nt "$bin" ]; then
            stale=1
        fi
    done
    if [ "$stale" = 0 ]; then
        echo "$bin"
        exit 0
    fi
fi
tmp="$bin.tmp.$$"
# -Os and gc-sections keep the static binary small; glibc static warnings about NSS do not apply
# because user names are resolved from /etc/passwd directly.
$cc -m32 -static -Os -s -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
    -ffunction-sections -fdata-sections -Wl,--gc-sections \
    -o "$tmp" $srcs
mv -f "$tmp" "$bin"
echo "$bin"
