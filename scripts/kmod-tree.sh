#!/bin/sh
# Mirror the module's sources (scripts/module-sources.sh) into a
# per-kernel build directory as symlinks, so that each kernel's objects
# live apart (build/kmod/RELEASE/) and the source tree stays clean: kbuild
# writes an external module's objects next to its sources.
#
# usage: kmod-tree.sh BUILD_DIR
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
mkdir -p "$dir"
# Sources removed since the last build must not stay in the mirror.
find "$dir" -xtype l -delete
cd "$top"
for f in $(scripts/module-sources.sh); do
	mkdir -p "$dir/$(dirname "$f")"
	ln -sfn "$top/$f" "$dir/$f"
done
