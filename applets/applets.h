/* applets: entry points of the applets listed in applets/applets.def, one
 * file each in applets/. Each returns the process exit status. */
#ifndef SSHBOX_APPLETS_H
#define SSHBOX_APPLETS_H

#define APPLET(name, side, enabled, summary) int applet_##name##_main(int argc, char **argv);
#define ALIAS(name, target, side, enabled, summary)
#include "applets.def"
#undef APPLET
#undef ALIAS

#endif
