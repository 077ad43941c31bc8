/* Proves include/vsw/ctl.h is self-contained. */
#include <vsw/ctl.h>
