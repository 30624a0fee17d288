/* The static fuse-apply binary, embedded into fuse so the build context can
 * carry it without any file on disk beside the installed fuse. */
	.section .rodata
	.global fuse_payload_start
	.global fuse_payload_end
	.balign 16
fuse_payload_start:
	.incbin PAYLOAD_PATH
fuse_payload_end:
	.section .note.GNU-stack,"",@progbits
