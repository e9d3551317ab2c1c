/*
 * bench_raw.c: the floor. A minimal keep-alive HTTP/1.1 client on one
 * blocking socket (write the request, read headers, read Content-Length
 * bytes): what is left is the emulator's own work and the loopback round
 * trip. Plain http only.
 *
 *   bench_raw N PORT PATH TOKEN      N GETs after one warm-up
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char rbuf[1 << 20];

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sends the request and reads one response; returns the status. */
static int exchange(int fd, const char *req, size_t req_len) {
    if (write(fd, req, req_len) != (ssize_t)req_len) return -1;
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        ssize_t k = read(fd, rbuf + have, sizeof rbuf - 1 - have);
        if (k <= 0) return -1;
        have += (size_t)k;
        rbuf[have] = 0;
        end = strstr(rbuf, "\r\n\r\n");
    }
    int status = atoi(rbuf + 9);
    long clen = 0;
    for (char *p = rbuf; p < end; p++)
        if ((p == rbuf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) clen = atol(p + 15);
    size_t total = (size_t)(end + 4 - rbuf) + (size_t)clen;
    while (have < total) {
        ssize_t k = read(fd, rbuf + have, sizeof rbuf - 1 - have);
        if (k <= 0) return -1;
        have += (size_t)k;
    }
    return status;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: bench_raw N PORT PATH TOKEN\n");
        return 2;
    }
    int n = atoi(argv[1]);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        return 1;
    }
    size_t cap = strlen(argv[4]) + strlen(argv[3]) + 512;
    char *req = malloc(cap);
    int len = snprintf(req, cap,
                       "GET %s HTTP/1.1\r\nhost: 127.0.0.1:%s\r\naccept: */*\r\n"
                       "client-request-id: 4f0c2a57-9d4e-4b1a-8c3f-2e6d7b9a1c05\r\nauthorization: Bearer %s\r\n\r\n",
                       argv[3], argv[2], argv[4]);
    if (exchange(fd, req, (size_t)len) != 200) {
        fprintf(stderr, "bench_raw: warm-up failed: %.300s\n", rbuf);
        return 1;
    }
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (exchange(fd, req, (size_t)len) != 200) {
            fprintf(stderr, "bench_raw: GET failed\n");
            return 1;
        }
    double dt = now_s() - t0;
    printf("{\"client\":\"raw socket\",\"calls\":%d,\"seconds\":%.6f,\"us_per_call\":%.2f}\n", n, dt, dt * 1e6 / n);
    close(fd);
    free(req);
    return 0;
}
