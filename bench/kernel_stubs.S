/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the core's objects compiled with the kernel's flags (mk/core.mk,
 * CORE_KCODE_FLAGS) call, for the userspace benchmark: the ftrace entry
 * and the return and indirect-branch thunks. A running kernel without
 * those mitigations patches each call site to one instruction (a NOP, a
 * ret, an indirect jump); here the call site and the stub are two, so
 * each function call counts two instructions more than in the module.
 */
	.text
	.globl __fentry__
__fentry__:
	ret

	.globl __x86_return_thunk
__x86_return_thunk:
	ret

	.irp reg,rax,rbx,rcx,rdx,rsi,rdi,rbp,r8,r9,r10,r11,r12,r13,r14,r15
	.globl __x86_indirect_thunk_\reg
__x86_indirect_thunk_\reg:
	jmp *%\reg
	.endr

	.section .note.GNU-stack,"",@progbits
