/* main.c -- fuse-apply: everything but main() lives in ap_*.c, so tests link it. */
#include "ap.h"

int main(int argc, char **argv)
{
    return ap_main(argc, argv);
}
