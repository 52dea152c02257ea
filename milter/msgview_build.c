#include "config.h"
#include "msgview_build.h"
