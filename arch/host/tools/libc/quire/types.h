/* The libc shim (arch/host/tools/vfs_libc.h): <quire/types.h> for host programs. */
#include "../../vfs_libc.h"
