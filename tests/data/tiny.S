/*
 * tiny.S - the program behind tiny.lackey: a few accesses whose pages are
 * known by hand (tests/data/README). No libc, so the trace is all of it.
 *   cc -static -nostdlib -o tiny tiny.S
 *   valgrind --tool=lackey --trace-mem=yes --basic-counts=no --log-file=tiny.lackey ./tiny
 */
	.globl	_start
	.text
_start:
	movb	$0, buf(%rip)		/* a store to each of the 4 pages of buf */
	movb	$1, buf+4096(%rip)
	movb	$2, buf+8192(%rip)
	movb	$3, buf+12288(%rip)
	movzbl	buf(%rip), %eax		/* a load from page 0 */
	movb	%al, buf+4104(%rip)	/* a store to page 1 */
	movq	$7, buf+8188(%rip)	/* an 8-byte store across pages 1 and 2 */
	addb	$1, buf+12288(%rip)	/* a modify of page 3 */
	mov	$60, %eax		/* exit(0) */
	xor	%edi, %edi
	syscall

	.bss
	.balign	4096
buf:	.skip	16384

	.section .note.GNU-stack,"",@progbits
