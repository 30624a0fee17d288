#include <stdio.h>
int main(void)
{
    puts("fuse " FUSE_VERSION);
    return 0;
}
