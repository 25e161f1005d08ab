/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family: the control plane. Only module init and
 * exit call into it.
 */
#ifndef SIPALG_GENL_H
#define SIPALG_GENL_H

int sipalg_genl_init(void);
void sipalg_genl_exit(void);

#endif /* SIPALG_GENL_H */
