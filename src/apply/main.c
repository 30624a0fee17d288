#include <stdio.h>
int main(void)
{
    puts("fuse-apply " FUSE_VERSION);
    return 0;
}
