// SPDX-License-Identifier: GPL-2.0
/*
 * The few runtime symbols g++ may reference from freestanding C++ code.
 *
 * The core is built without exceptions, RTTI, heap or global constructors,
 * so the only thing left is the slot g++ puts in the vtable of an abstract
 * class. Reaching it is a bug in the core, never something input can cause;
 * warn loudly rather than crash the router (the tests run with panic_on_warn).
 * Anything else the C++ objects reference (operator new/delete, __cxa_*,
 * libstdc++) is deliberately absent so that modpost fails the build.
 */
#include <linux/bug.h>

void __cxa_pure_virtual(void);

void __cxa_pure_virtual(void)
{
	WARN_ONCE(1, "sipalg: pure virtual function called\n");
}
