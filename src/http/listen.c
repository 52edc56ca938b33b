/* The listening sockets: one per worker, in one SO_REUSEPORT group that no
 * other process may share.
 *
 * SO_REUSEPORT lets the kernel spread connections over the workers, but it
 * also lets any other socket of the same user with the option join the
 * group: a second server started on a port already served would bind
 * without error and silently take half the traffic. So after our sockets
 * listen, the kernel's table of listening sockets (/proc/net/tcp and tcp6)
 * is read back, and any listener on the port whose inode is not one of ours
 * stops the start-up with "port N is already in use". Two servers starting
 * at the same instant both see each other and both refuse. */
#define _GNU_SOURCE
#include "http/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct addr {
    int           family;
    unsigned char bytes[16];  /* network order; 4 used for AF_INET */
} addr_t;

static int parse_host(const char *host, int port, addr_t *a, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    memset(a, 0, sizeof *a);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        a->family = AF_INET;
        memcpy(a->bytes, &a4->sin_addr, 4);
        *len = sizeof *a4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        a->family = AF_INET6;
        memcpy(a->bytes, &a6->sin6_addr, 16);
        *len = sizeof *a6;
        return 0;
    }
    errno = EINVAL;
    return -1;
}

static int listen_one(const struct sockaddr_storage *ss, socklen_t len, int backlog)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static bool is_wildcard(const addr_t *a)
{
    size_t n = a->family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < n; i++)
        if (a->bytes[i])
            return false;
    return true;
}

/* Would a connection to one of these addresses possibly reach the other? */
static bool overlaps(const addr_t *x, const addr_t *y)
{
    if (is_wildcard(x) || is_wildcard(y))
        return true;
    return x->family == y->family && memcmp(x->bytes, y->bytes, x->family == AF_INET ? 4 : 16) == 0;
}

/* /proc/net/tcp prints each 32-bit word of an address as hex in host order. */
static bool parse_proc_addr(const char *hex, size_t n, int family, addr_t *a)
{
    size_t words = family == AF_INET ? 1 : 4;
    if (n != words * 8)
        return false;
    a->family = family;
    for (size_t w = 0; w < words; w++) {
        char tmp[9];
        memcpy(tmp, hex + w * 8, 8);
        tmp[8] = 0;
        uint32_t v = (uint32_t)strtoul(tmp, NULL, 16);
        memcpy(a->bytes + w * 4, &v, 4);
    }
    return true;
}

/* 1 when a listener on `port` that overlaps `ours` and is not one of `inodes`
 * exists, 0 when none, -1 when the table cannot be read. */
static int foreign_listener(const char *path, int family, int port, const addr_t *ours,
                            const unsigned long *inodes, unsigned n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int found = 0;
    if (!fgets(line, sizeof line, f)) { /* header */
        fclose(f);
        return 0;
    }
    while (!found && fgets(line, sizeof line, f)) {
        char local[64], remote[64];
        unsigned st;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote, &st, &inode) != 4)
            continue;
        if (st != 0x0A) /* TCP_LISTEN */
            continue;
        char *colon = strchr(local, ':');
        if (!colon || (int)strtol(colon + 1, NULL, 16) != port)
            continue;
        addr_t theirs;
        if (!parse_proc_addr(local, (size_t)(colon - local), family, &theirs) || !overlaps(ours, &theirs))
            continue;
        bool mine = false;
        for (unsigned i = 0; i < n && !mine; i++)
            mine = inodes[i] == inode;
        found = !mine;
    }
    fclose(f);
    return found;
}

int pt__listen_group(const char *host, int port, int backlog, unsigned n, int *fds, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    addr_t ours;
    if (parse_host(host, port, &ours, &ss, &len) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: not an IPv4 or IPv6 address", host, port);
        return -1;
    }
    unsigned long *inodes = calloc(n, sizeof *inodes);
    if (!inodes) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unsigned opened = 0;
    int rc = 0;
    for (; opened < n; opened++) {
        fds[opened] = listen_one(&ss, len, backlog);
        struct stat sb;
        if (fds[opened] < 0 || fstat(fds[opened], &sb) != 0) {
            if (errno == EADDRINUSE)
                snprintf(err, errlen, "port %d is already in use", port);
            else
                snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
            if (fds[opened] >= 0)
                close(fds[opened]);
            rc = -1;
            break;
        }
        inodes[opened] = (unsigned long)sb.st_ino;
    }
    if (rc == 0) {
        int a = foreign_listener("/proc/net/tcp", AF_INET, port, &ours, inodes, n);
        int b = foreign_listener("/proc/net/tcp6", AF_INET6, port, &ours, inodes, n);
        /* Without /proc (a chroot, a container without it) the check cannot
         * be made: serve, as the bind alone allows. */
        if (a == 1 || b == 1) {
            snprintf(err, errlen, "port %d is already in use", port);
            rc = -1;
        }
    }
    if (rc != 0)
        while (opened > 0)
            close(fds[--opened]);
    free(inodes);
    return rc;
}
