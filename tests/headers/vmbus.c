/* Proves include/vsw/proto/vmbus.h is self-contained. */
#include <vsw/proto/vmbus.h>
