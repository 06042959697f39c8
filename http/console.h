/* The staff console: server-rendered HTML on the admin listener
 * (http.admin_listen) under /console/, never on the public one. The loop
 * copies each request into a job; a small pool of worker threads, each
 * with its own blocking PostgreSQL connection, answers it (password
 * hashing is CPU-heavy and the case operations are multi-statement
 * transactions shared with dunnctl), and the loop sends the answer. */
#ifndef DUNN_CONSOLE_H
#define DUNN_CONSOLE_H

#include <stddef.h>

#include "http_int.h"

/* console.c, on the loop thread. */
int console_start(struct http *h, char *err, size_t errlen);
/* Answer every waiting request 503, stop and join the workers. */
void console_stop(struct http *h);
/* Every request for a path under /console. */
void console_request(struct http *h, struct evhttp_request *req, const char *path);

#endif
