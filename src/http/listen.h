/* Internal: the workers' listening sockets. */
#ifndef PT_HTTP_LISTEN_H
#define PT_HTTP_LISTEN_H

#include <stddef.h>

/* Opens n listening sockets on host:port in one SO_REUSEPORT group, and
 * fails ("port N is already in use" in err) when the port is served by any
 * socket that is not one of them. Returns 0 with fds[0..n) set, or -1 with
 * nothing left open. */
int pt__listen_group(const char *host, int port, int backlog, unsigned n, int *fds, char *err, size_t errlen);

#endif
