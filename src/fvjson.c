#include "fvjson.h"
