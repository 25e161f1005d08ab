#!/bin/sh
# The files kbuild needs to build sipalg.ko, one path a line, relative to
# the top of the tree: Kbuild, VERSION (MODULE_VERSION), the C shim
# (kmod/), the C++ core (core/) and the headers (include/). The one list
# behind the per-kernel build mirror (kmod-tree.sh), the DKMS source tree
# (make dkms-source: /usr/src/sipalg-VERSION, the Debian sipalg-dkms
# package) and the OpenWrt recipe, so that they cannot drift apart.
#
# usage: module-sources.sh
set -eu
cd "$(dirname "$0")/.."
echo Kbuild
echo VERSION
find kmod core include -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' \) | sort
