/*
 * Throwaway certificate authorities for tests of TLS trust: a self-signed CA
 * and, when asked, a server certificate it signed for 127.0.0.1 and
 * localhost, all as PEM text, made in memory with OpenSSL (P-256 keys, valid
 * from an hour ago for a day).
 */
#ifndef SLIPWAY_TESTS_THROWAWAY_PKI_H
#define SLIPWAY_TESTS_THROWAWAY_PKI_H

#include <stdbool.h>
#include <stddef.h>

struct tp_pki {
	char *ca_pem;   /* the CA's certificate */
	char *cert_pem; /* the server's certificate, or NULL */
	char *key_pem;  /* the server's private key, or NULL */
};

/* Fills *p with a CA named `cn` and, when with_server, a server certificate
 * it signed. Returns true when everything asked for was made; either way the
 * caller owns what *p holds (tp_free). */
bool tp_make(struct tp_pki *p, const char *cn, bool with_server);

/* Frees what *p holds and zeroes it. */
void tp_free(struct tp_pki *p);

/*
 * The name OpenSSL looks up in a CA directory (CURLOPT_CAPATH,
 * X509_LOOKUP_hash_dir) for the first certificate in `pem`: its subject
 * hash as c_rehash writes it, "%08lx.0". Returns 0 with out filled, or
 * -EINVAL when pem holds no certificate, -ERANGE when out is too small (out
 * untouched either way).
 */
int tp_hashed_name(const char *pem, char *out, size_t cap);

#endif
