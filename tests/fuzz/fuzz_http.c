/* libFuzzer target: request framing, routing and declared fields (query,
 * cookies, headers, percent-decoding, JSON bodies against a schema) through
 * a real server. LLVMFuzzerInitialize starts pt_run on a free port in a
 * thread; each input is written to a fresh connection, the write side is
 * shut, and the answer is read to EOF. A crash or sanitizer report in the
 * server is a finding, as is a server that stops answering. */
#define _GNU_SOURCE
#include <ponty.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    int64_t     id;
    const char *name;
    int64_t     n;
    bool        flag;
    const char *session;
    const char *token;
} item_in;

PT_FIELDS(item_in,
          PT_ROUTE_POSINT(id),
          PT_ROUTE_STR(name),
          PT_QUERY_POSINT(n, .dflt = "1"),
          PT_QUERY_BOOL(flag, .dflt = "false"),
          PT_COOKIE(session, .dflt = "-"),
          PT_HEADER(token, .key = "X-Token", .dflt = "-"));

PT_GET_IN("/items/{id}/{name}", item, item_in)
{
    return json_pack("{s:I,s:s,s:I,s:b,s:s,s:s}", "id", (json_int_t)in->id, "name", in->name, "n",
                     (json_int_t)in->n, "flag", in->flag, "session", in->session, "token", in->token);
}

typedef struct { json_t *body; } body_in;

PT_FIELDS(body_in, PT_BODY_SCHEMA(body, .schema_text =
    "{\"type\": \"object\", \"required\": [\"a\"], \"properties\": {"
    "\"a\": {\"type\": \"integer\", \"minimum\": 0},"
    "\"b\": {\"type\": \"string\", \"maxLength\": 8, \"pattern\": \"^[a-z]*$\"},"
    "\"c\": {\"type\": \"array\", \"items\": {\"type\": \"number\"}, \"uniqueItems\": true}},"
    "\"additionalProperties\": false}"));

PT_POST_IN("/body", body, body_in, .mimetype = "application/json")
{
    return json_incref(in->body);
}

PT_GET("/re/{x:[0-9]+}/{rest:.*}", re)
{
    return json_pack("{s:s,s:s,s:s}", "x", pt_req_param(req, "x"), "rest", pt_req_param(req, "rest"),
                     "q", pt_req_query(req, "q") ? pt_req_query(req, "q") : "");
}

PT_POST("/echo", echo)
{
    size_t n;
    const char *b = pt_req_body(req, &n);
    pt_reply(req, 200, "text/plain", b, n);
    return NULL;
}

static int port;

static void *serve(void *arg)
{
    (void)arg;
    pt_run(.port = port, .workers = 1, .quiet = 1);
    return NULL;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct timeval tv = { 5, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    port = ntohs(a.sin_port);
    close(s);
    pthread_t th;
    pthread_create(&th, NULL, serve, NULL);
    pthread_detach(th);
    for (int i = 0; i < 500; i++) {
        int fd = dial();
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        usleep(10000);
    }
    fprintf(stderr, "fuzz_http: the server did not start\n");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = dial();
    if (fd < 0) {
        fprintf(stderr, "fuzz_http: the server refuses connections\n");
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server answered and closed early: fine */
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            break;
        if (n < 0) {
            fprintf(stderr, "fuzz_http: no answer within 5 s\n");
            abort();
        }
    }
    close(fd);
    return 0;
}
