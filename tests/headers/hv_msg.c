/* Proves include/vsw/proto/hv_msg.h is self-contained. */
#include <vsw/proto/hv_msg.h>
