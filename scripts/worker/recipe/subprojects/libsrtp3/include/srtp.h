/*
 * libsrtp 3 API, as called by mediasoup 3.27, on top of libsrtp 2 (built from Debian
 * bookworm's source package, 2.5; see ../meson.build).
 *
 * Differences bridged here:
 * - libsrtp 3 (un)protect functions take a const input buffer, a separate
 *   output buffer whose capacity is passed in *out_len, and size_t lengths;
 *   libsrtp 2 works in place on one buffer with an int length. We copy the
 *   input into the output buffer (when they differ) after checking that the
 *   output can also hold the trailer libsrtp 2 appends, then work in place.
 * - srtp_protect/srtp_protect_rtcp take an MKI index. mediasoup never
 *   configures MKI, so only index 0 (no MKI) is supported.
 * - srtp_stream_remove is libsrtp 2's srtp_remove_stream.
 * - Two error codes were added in libsrtp 3 (values as in libsrtp 3's
 *   srtp.h); libsrtp 2 never returns them, this shim returns buffer_small.
 * - libsrtp 3 (since the 3.0.0-beta mediasoup 3.23 moved to) makes the policy
 *   an opaque handle built with srtp_policy_create/set_ssrc/set_profile/
 *   add_key/set_allow_repeat_tx/set_window_size/destroy, and srtp_create
 *   takes the handle. Here the handle points to a libsrtp 2 srtp_policy_t plus
 *   a buffer for the master key and salt, which libsrtp 2 takes as one
 *   concatenated key. The profiles are applied as mediasoup 3.19 applied them
 *   to a libsrtp 2 policy: RTCP uses HMAC-SHA1-80 also for the _32 profile
 *   (RFC 5764 §4.1.2 defines the 32-bit tag for SRTP only).
 *
 * mediasoup includes <srtp.h>; the libsrtp3 shim puts this directory first
 * on the include path. The libsrtp 3 names are macros that point to the
 * inline functions below, so nothing here clashes with libsrtp 2's symbols.
 */
#ifndef BLINDCALL_SRTP3_COMPAT_H
#define BLINDCALL_SRTP3_COMPAT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#define BLINDCALL_SRTP_ERR_BUFFER_SMALL ((srtp_err_status_t)28)
#define BLINDCALL_SRTP_ERR_CRYPTEX ((srtp_err_status_t)29)

/* libsrtp 2 appends up to SRTP_MAX_TRAILER_LEN bytes to RTP, plus the 4-byte
 * SRTCP index to RTCP (see the warnings on srtp_protect*() in srtp2/srtp.h). */
#define BLINDCALL_SRTP_RTP_TRAILER_MAX ((size_t)SRTP_MAX_TRAILER_LEN)
#define BLINDCALL_SRTP_RTCP_TRAILER_MAX ((size_t)SRTP_MAX_TRAILER_LEN + 4u)

typedef srtp_err_status_t (*blindcall_srtp2_inplace_fn)(srtp_t, void*, int*);

/* Copies |in| to |out| if needed, runs the libsrtp 2 in-place function and
 * stores the resulting length in *out_len. |growth| is how many bytes the
 * operation may append. */
static inline srtp_err_status_t blindcall_srtp2_inplace(
  blindcall_srtp2_inplace_fn fn,
  srtp_t ctx,
  const uint8_t* in,
  size_t in_len,
  uint8_t* out,
  size_t* out_len,
  size_t growth)
{
	int len;
	srtp_err_status_t status;

	if (in_len > (size_t)INT_MAX - growth)
	{
		return srtp_err_status_bad_param;
	}
	if (*out_len < in_len + growth)
	{
		return BLINDCALL_SRTP_ERR_BUFFER_SMALL;
	}
	if (out != in)
	{
		memmove(out, in, in_len);
	}

	len    = (int)in_len;
	status = fn(ctx, out, &len);

	if (status == srtp_err_status_ok)
	{
		*out_len = (size_t)len;
	}

	return status;
}

static inline srtp_err_status_t blindcall_srtp3_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtp_len, uint8_t* srtp, size_t* srtp_len, size_t mki_index)
{
	if (mki_index != 0)
	{
		return srtp_err_status_bad_mki;
	}

	return blindcall_srtp2_inplace(
	  srtp_protect, ctx, rtp, rtp_len, srtp, srtp_len, BLINDCALL_SRTP_RTP_TRAILER_MAX);
}

static inline srtp_err_status_t blindcall_srtp3_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtp_len, uint8_t* rtp, size_t* rtp_len)
{
	return blindcall_srtp2_inplace(srtp_unprotect, ctx, srtp, srtp_len, rtp, rtp_len, 0);
}

static inline srtp_err_status_t blindcall_srtp3_protect_rtcp(
  srtp_t ctx,
  const uint8_t* rtcp,
  size_t rtcp_len,
  uint8_t* srtcp,
  size_t* srtcp_len,
  size_t mki_index)
{
	if (mki_index != 0)
	{
		return srtp_err_status_bad_mki;
	}

	return blindcall_srtp2_inplace(
	  srtp_protect_rtcp, ctx, rtcp, rtcp_len, srtcp, srtcp_len, BLINDCALL_SRTP_RTCP_TRAILER_MAX);
}

static inline srtp_err_status_t blindcall_srtp3_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcp_len, uint8_t* rtcp, size_t* rtcp_len)
{
	return blindcall_srtp2_inplace(srtp_unprotect_rtcp, ctx, srtcp, srtcp_len, rtcp, rtcp_len, 0);
}

/* The libsrtp 3 policy handle. */
struct blindcall_srtp3_policy
{
	srtp_policy_t policy; /* libsrtp 2's policy struct */
	unsigned char key[SRTP_MAX_KEY_LEN];
	int has_profile;
};
typedef struct blindcall_srtp3_policy* blindcall_srtp3_policy_t;

static inline srtp_err_status_t blindcall_srtp3_policy_create(blindcall_srtp3_policy_t* policy)
{
	if (policy == NULL)
	{
		return srtp_err_status_bad_param;
	}
	*policy = (blindcall_srtp3_policy_t)calloc(1, sizeof(struct blindcall_srtp3_policy));

	return *policy == NULL ? srtp_err_status_alloc_fail : srtp_err_status_ok;
}

static inline void blindcall_srtp3_policy_destroy(blindcall_srtp3_policy_t policy)
{
	if (policy == NULL)
	{
		return;
	}
	/* The key was copied into the session by srtp_create; do not leave it in freed memory. */
	explicit_bzero(policy, sizeof(*policy));
	free(policy);
}

static inline srtp_err_status_t blindcall_srtp3_policy_set_ssrc(
  blindcall_srtp3_policy_t policy, srtp_ssrc_t ssrc)
{
	if (policy == NULL)
	{
		return srtp_err_status_bad_param;
	}
	policy->policy.ssrc = ssrc;

	return srtp_err_status_ok;
}

static inline srtp_err_status_t blindcall_srtp3_policy_set_profile(
  blindcall_srtp3_policy_t policy, srtp_profile_t profile)
{
	if (policy == NULL)
	{
		return srtp_err_status_bad_param;
	}
	switch (profile)
	{
		case srtp_profile_aes128_cm_sha1_80:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->policy.rtp);
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->policy.rtcp);
			break;
		case srtp_profile_aes128_cm_sha1_32:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->policy.rtp);
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->policy.rtcp);
			break;
		case srtp_profile_aead_aes_128_gcm:
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->policy.rtp);
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->policy.rtcp);
			break;
		case srtp_profile_aead_aes_256_gcm:
			srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->policy.rtp);
			srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->policy.rtcp);
			break;
		default:
			return srtp_err_status_bad_param;
	}
	policy->has_profile = 1;

	return srtp_err_status_ok;
}

/* libsrtp 2 takes key and salt as one buffer of the cipher's key length. MKI
 * is not supported (mediasoup never configures it). */
static inline srtp_err_status_t blindcall_srtp3_policy_add_key(
  blindcall_srtp3_policy_t policy,
  const uint8_t* key,
  size_t key_len,
  const uint8_t* salt,
  size_t salt_len,
  const uint8_t* mki,
  size_t mki_len)
{
	if (policy == NULL || key == NULL || salt == NULL || !policy->has_profile)
	{
		return srtp_err_status_bad_param;
	}
	if (mki != NULL || mki_len != 0)
	{
		return srtp_err_status_bad_mki;
	}
	if (
	  key_len + salt_len > sizeof(policy->key) ||
	  key_len + salt_len != (size_t)policy->policy.rtp.cipher_key_len)
	{
		return srtp_err_status_bad_param;
	}
	memcpy(policy->key, key, key_len);
	memcpy(policy->key + key_len, salt, salt_len);
	policy->policy.key = policy->key;

	return srtp_err_status_ok;
}

static inline srtp_err_status_t blindcall_srtp3_policy_set_allow_repeat_tx(
  blindcall_srtp3_policy_t policy, bool allow)
{
	if (policy == NULL)
	{
		return srtp_err_status_bad_param;
	}
	policy->policy.allow_repeat_tx = allow ? 1 : 0;

	return srtp_err_status_ok;
}

static inline srtp_err_status_t blindcall_srtp3_policy_set_window_size(
  blindcall_srtp3_policy_t policy, size_t window_size)
{
	if (policy == NULL)
	{
		return srtp_err_status_bad_param;
	}
	policy->policy.window_size = (unsigned long)window_size;

	return srtp_err_status_ok;
}

static inline srtp_err_status_t blindcall_srtp3_create(
  srtp_t* session, const blindcall_srtp3_policy_t policy)
{
	if (policy == NULL || policy->policy.key == NULL)
	{
		return srtp_err_status_bad_param;
	}
	policy->policy.next = NULL;

	return srtp_create(session, &policy->policy);
}

#define srtp_policy_t blindcall_srtp3_policy_t
#define srtp_policy_create blindcall_srtp3_policy_create
#define srtp_policy_destroy blindcall_srtp3_policy_destroy
#define srtp_policy_set_ssrc blindcall_srtp3_policy_set_ssrc
#define srtp_policy_set_profile blindcall_srtp3_policy_set_profile
#define srtp_policy_add_key blindcall_srtp3_policy_add_key
#define srtp_policy_set_allow_repeat_tx blindcall_srtp3_policy_set_allow_repeat_tx
#define srtp_policy_set_window_size blindcall_srtp3_policy_set_window_size
#define srtp_create blindcall_srtp3_create
#define srtp_err_status_buffer_small BLINDCALL_SRTP_ERR_BUFFER_SMALL
#define srtp_err_status_cryptex_err BLINDCALL_SRTP_ERR_CRYPTEX
#define srtp_protect blindcall_srtp3_protect
#define srtp_unprotect blindcall_srtp3_unprotect
#define srtp_protect_rtcp blindcall_srtp3_protect_rtcp
#define srtp_unprotect_rtcp blindcall_srtp3_unprotect_rtcp
#define srtp_stream_remove srtp_remove_stream

#endif /* BLINDCALL_SRTP3_COMPAT_H */
