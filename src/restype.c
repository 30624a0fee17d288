#include "restype.h"
