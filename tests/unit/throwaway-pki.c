#include "throwaway-pki.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A P-256 key; caller owns it (EVP_PKEY_free). */
static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1)
		EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	bool good = e && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return good;
}

/* A certificate for key: self-signed CA when issuer is NULL, else a server
 * certificate for 127.0.0.1 signed by issuer. Caller owns it (X509_free). */
static X509 *new_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key)
{
	/* Distinct serials, so that no two certificates of one issuer collide. */
	static long serial = 1;
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	bool good = add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (issuer)
		good = good && add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") &&
		       add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") &&
		       add_ext(x, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
		       add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
	else
		good = good && add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE") &&
		       add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (!good || X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* PEM text of a certificate or (cert NULL) a key; caller frees. */
static char *pem(X509 *cert, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	if (!b)
		return NULL;
	int good = cert ? PEM_write_bio_X509(b, cert)
	                : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	long n = BIO_get_mem_data(b, &data);
	if (good == 1 && n > 0)
		out = strndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

bool tp_make(struct tp_pki *p, const char *cn, bool with_server)
{
	EVP_PKEY *ca_key = new_key(), *key = with_server ? new_key() : NULL;
	X509 *ca = ca_key ? new_cert(ca_key, cn, NULL, NULL) : NULL;
	X509 *cert = ca && key ? new_cert(key, "127.0.0.1", ca, ca_key) : NULL;
	p->ca_pem = ca ? pem(ca, NULL) : NULL;
	p->cert_pem = cert ? pem(cert, NULL) : NULL;
	p->key_pem = key ? pem(NULL, key) : NULL;
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return p->ca_pem && (!with_server || (p->cert_pem && p->key_pem));
}

void tp_free(struct tp_pki *p)
{
	free(p->ca_pem);
	free(p->cert_pem);
	free(p->key_pem);
	*p = (struct tp_pki){0};
}

int tp_hashed_name(const char *pem_text, char *out, size_t cap)
{
	BIO *b = BIO_new_mem_buf(pem_text, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!x)
		return -EINVAL;
	/* The hash X509_LOOKUP_hash_dir computes for the subject it looks for. */
	unsigned long h = X509_subject_name_hash(x);
	X509_free(x);
	char name[16];
	snprintf(name, sizeof(name), "%08lx.0", h);
	if (strlen(name) >= cap)
		return -ERANGE;
	memcpy(out, name, strlen(name) + 1);
	return 0;
}
