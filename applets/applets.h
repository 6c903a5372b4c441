/* applets: entry points of the six applets, one file each in applets/. */
#ifndef SSHBOX_APPLETS_H
#define SSHBOX_APPLETS_H

int applet_sshd_main(int argc, char **argv);
int applet_exec_main(int argc, char **argv);
int applet_networking_main(int argc, char **argv);
int applet_checkhomedir_main(int argc, char **argv);
int applet_sftp_main(int argc, char **argv);
int applet_debug_main(int argc, char **argv);

#endif
