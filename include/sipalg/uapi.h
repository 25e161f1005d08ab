/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sipalg's generic netlink interface, shared by the module and the CLI.
 * Valid C and C++; the only header it needs is <linux/types.h>.
 */
#ifndef SIPALG_UAPI_H
#define SIPALG_UAPI_H

#define SIPALG_GENL_NAME "sipalg"
#define SIPALG_GENL_VERSION 1

#endif /* SIPALG_UAPI_H */
