/* Embeds the stripped sshbox-helper executable, byte for byte, in a
 * read-only section of the full binary. shared/spawn.c copies it into a
 * sealed memfd once per daemon. */
	.section .rodata.sshbox_helper,"a",@progbits
	.balign 64
	.globl sshbox_helper_blob
	.globl sshbox_helper_blob_end
sshbox_helper_blob:
	.incbin HELPER_FILE
sshbox_helper_blob_end:
	.section .note.GNU-stack,"",@progbits
