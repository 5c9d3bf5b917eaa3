/*
 * Benchmark-only: the floor of the FastCGI path.
 *
 * A minimal libfcgi responder that answers every request with the same pre-built CGI response
 * (Status line, headers, blank line, body), captured once from the real responder by bench.py.
 * It is shaped like trakt-widget's server: N threads, each with its own FCGX_Request, all calling
 * FCGX_Accept_r on the listening socket inherited on fd 0 (spawn-fcgi), one connection per request.
 * Whatever it costs, the real responder cannot cost less; A/B in BENCHMARKS.md is measured against it.
 *
 *   gcc -O2 -pthread -o floor floor.c -lfcgi
 *   spawn-fcgi -n -s SOCK -- ./floor WORKERS RESPONSE_FILE
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static char *response;
static long response_len;

static void *worker(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, 0, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_PutStr(response, (int)response_len, request.out);
        FCGX_FFlush(request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s WORKERS RESPONSE_FILE\n", argv[0]);
        return 2;
    }
    int workers = atoi(argv[1]);
    FILE *file = fopen(argv[2], "rb");
    if (workers < 1 || !file) {
        fprintf(stderr, "floor: bad worker count or unreadable %s\n", argv[2]);
        return 2;
    }
    fseek(file, 0, SEEK_END);
    response_len = ftell(file);
    rewind(file);
    response = malloc((size_t)response_len);
    if (!response || fread(response, 1, (size_t)response_len, file) != (size_t)response_len) {
        fprintf(stderr, "floor: could not read %s\n", argv[2]);
        return 2;
    }
    fclose(file);

    /* SIGTERM/SIGINT end the process from main(); workers never see them (libfcgi would only set its
     * shutdown flag and leave them blocked in accept). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    if (FCGX_Init() != 0) {
        fprintf(stderr, "floor: FCGX_Init failed\n");
        return 1;
    }
    pthread_t threads[256];
    if (workers > 256) workers = 256;
    for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, worker, NULL);
    int signal_number = 0;
    sigwait(&stop, &signal_number);
    return 0;
}
