/* Proves include/vsw/proto/nvsp.h is self-contained. */
#include <vsw/proto/nvsp.h>
