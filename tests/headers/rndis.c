/* Proves include/vsw/proto/rndis.h is self-contained. */
#include <vsw/proto/rndis.h>
