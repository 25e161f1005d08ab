#!/bin/bash
# Style checks: checkpatch on the kernel C (kmod/, include/sipalg/uapi.h)
# and clang-format on the C++ (core and its C ABI header core.h, CLI,
# tests, benchmarks). checkpatch
# comes from Debian's linux-source tarball, unpacked once under build/.
set -euo pipefail
cd "$(dirname "$0")/.."

tool=build/checkpatch
if [ ! -x "$tool/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
	mkdir -p "$tool"
	tar -xJf "$tarball" -C "$tool" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
fi

status=0
kernel_c=$(git ls-files 'kmod/*.c' 'kmod/*.h' include/sipalg/uapi.h 'bench/*.c' | grep -v '^kmod/compat.h$')
checkpatch() {
	"$tool/scripts/checkpatch.pl" --no-tree --quiet --strict --show-types "$@"
}
if ! checkpatch --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES -f $kernel_c; then
	status=1
fi
# The one place an out-of-tree module must compare kernel versions (an
# in-tree file never would, hence checkpatch's advice against it).
if ! checkpatch --ignore SPDX_LICENSE_TAG,LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h; then
	status=1
fi

cxx=$(git ls-files '*.cpp' '*.hpp' include/sipalg/core.h include/sipalg/decide.h | grep -v '^tests/corpus/')
if [ -n "$cxx" ] && ! clang-format --dry-run --Werror $cxx; then
	echo "lint: run clang-format -i on the files above" >&2
	status=1
fi
[ $status -eq 0 ] && echo "lint: checkpatch and clang-format clean"
exit $status
