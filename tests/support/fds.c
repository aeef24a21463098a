/* fds: counts of this process's open descriptors (see fds.h). */
#include "fds.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>

int fds_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        n += de->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own fd */
}

int fds_inheritable(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        int fl = fcntl(fd, F_GETFD);
        if (fd != dirfd(d) && fl >= 0 && !(fl & FD_CLOEXEC))
            n++;
    }
    closedir(d);
    return n;
}
