/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RouterOS-style automatic attachment of the helper by port.
 */
#ifndef SIPALG_ATTACH_H
#define SIPALG_ATTACH_H

int sipalg_hooks_init(void);
void sipalg_hooks_exit(void);

#endif /* SIPALG_ATTACH_H */
