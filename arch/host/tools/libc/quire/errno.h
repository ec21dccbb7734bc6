/* The libc shim (arch/host/tools/vfs_libc.h): <quire/errno.h> for host programs. */
#include "../../vfs_libc.h"
