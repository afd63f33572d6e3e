#!/bin/sh
# Builds the example plugin out of tree against an installed rdconnect:
#   PKG_CONFIG_PATH=<prefix>/lib/pkgconfig tests/external-plugin/build.sh OUT.so
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-counter-source.so}
cc -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC -fvisibility=hidden \
   $(pkg-config --cflags rdconnect-plugin) \
   "$here/counter_source.c" -o "$out"
