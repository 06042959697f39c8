/* Staff passwords: libxcrypt's yescrypt ("$y$"), a memory-hard KDF, at
 * libxcrypt's default cost (about 30 ms and 16 MiB per hash here). Both
 * calls are CPU-bound and block: dunnd runs them on its console worker
 * threads, never on the event loop. */
#ifndef DUNN_PASSWD_H
#define DUNN_PASSWD_H

#include <stddef.h>

#define PASSWD_HASH_MAX 384 /* CRYPT_OUTPUT_SIZE */
#define PASSWD_MIN_LEN 10
#define PASSWD_MAX_LEN 511 /* CRYPT_MAX_PASSPHRASE_SIZE - 1: crypt_r refuses longer */

/* Hash pw with a fresh random salt into out. 0, or -1 (errno-free: the
 * library refused, e.g. no entropy). */
int passwd_hash(const char *pw, char *out, size_t len);
/* 1 when pw matches the stored crypt string, else 0. The comparison is
 * constant-time; a stored value that is no crypt string never matches. */
int passwd_verify(const char *pw, const char *stored);
/* A dummy verification with the same cost, for unknown users, so timing
 * does not tell which names exist. */
void passwd_burn(const char *pw);

#endif
