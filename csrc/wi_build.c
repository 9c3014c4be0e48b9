/* What this build is: compiler and flags, for weightinit.show_config(). */
#include "wi_fill.h"

#ifndef WI_BUILD_FLAGS
#define WI_BUILD_FLAGS "unknown"
#endif

const char *wi_build_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

const char *wi_build_flags(void) { return WI_BUILD_FLAGS; }
