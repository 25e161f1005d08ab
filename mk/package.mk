# sipalg packaging: install, DKMS and Debian packages. Included by the
# top-level Makefile (KVER, KOBJ come from there).
#
#   make install        the built module (for $(KVER)) and CLI, man page,
#                       completion and /etc files; never builds (run make
#                       first). DESTDIR, PREFIX (/usr/local), SBINDIR
#   make uninstall      removes what install put there (keeps a changed
#                       /etc/sipalg/sipalg.conf)
#   make install-check  a staged install (DESTDIR, PREFIX=/usr) holds
#                       exactly the expected files; uninstall empties it
#   make dkms-source    the DKMS source tree: $(DESTDIR)/usr/src/sipalg-VERSION
#   make dkms-check     dkms add + build for every kernel of
#                       scripts/kernels.sh all in a throw-away tree under
#                       build/dkms/ (the system's DKMS and /lib/modules are
#                       not touched), and a DKMS tarball of the results
#   make deb            sipalg and sipalg-dkms .debs in build/deb/, from a
#                       copy of the tracked files
#   make deb-lint       lintian on them

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DKMS_KERNELS ?= $(shell scripts/kernels.sh all)
# Passed to the scripts explicitly, not exported: make deb's own inner
# make (debian/rules) must not inherit them.
INSTALL_SH = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SBINDIR="$(SBINDIR)" KVER="$(KVER)" \
	KOBJ="$(KOBJ)" scripts/install.sh

.PHONY: install uninstall install-module install-cli uninstall-module uninstall-cli \
	install-check dkms-source dkms-check deb deb-lint

install:
	$(INSTALL_SH) install module cli
uninstall:
	$(INSTALL_SH) uninstall cli module
install-module:
	$(INSTALL_SH) install module
install-cli:
	$(INSTALL_SH) install cli
uninstall-module:
	$(INSTALL_SH) uninstall module
uninstall-cli:
	$(INSTALL_SH) uninstall cli

install-check:
	scripts/install-check.sh

dkms-source:
	scripts/dkms-source.sh "$(DESTDIR)/usr/src/sipalg-$(VERSION)"

dkms-check:
	scripts/dkms-check.sh $(DKMS_KERNELS)

deb:
	scripts/deb.sh

deb-lint:
	scripts/deb-lint.sh
