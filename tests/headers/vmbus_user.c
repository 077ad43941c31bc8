/* Proves include/vsw/proto/vmbus_user.h is self-contained. */
#include <vsw/proto/vmbus_user.h>
