/* floor.c -- the syscall floor of bench case 6 (bench/run.sh).
 *
 * Creates 10,000 one-line files in DIR the way any atomic file writer does:
 * open(O_CREAT|O_EXCL) a temporary, write, close, rename into place. Run
 * next to fuse-apply on the same filesystem, it tells what the disk alone
 * costs, so the bench can say how much of case 6 is fuse-apply's own.
 * Prints "floor: S s". */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: floor DIR\n", stderr);
        return 2;
    }
    const char *dir = argv[1];
    char tmp[4096], dst[4096], line[32];
    struct timespec a, b;
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 1; i <= 10000; i++) {
        snprintf(dst, sizeof dst, "%s/f%05d", dir, i);
        snprintf(tmp, sizeof tmp, "%s/.f%05d.tmp", dir, i);
        int n = snprintf(line, sizeof line, "file %d\n", i);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd) != 0 || rename(tmp, dst) != 0) {
            perror(tmp);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("floor: %.3f s\n",
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
