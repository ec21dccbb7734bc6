/* The libc shim (arch/host/tools/vfs_libc.h): <quire/string.h> for host programs. */
#include "../../vfs_libc.h"
