/* The library's version (ponty/version.h). */
#include "ponty/version.h"

const char *pt_version(void) { return PT_VERSION_STRING; }
