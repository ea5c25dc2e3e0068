/*
 * libsrtp 3 API, as called by mediasoup 3.19, on top of libsrtp 2 (Debian
 * bookworm ships libsrtp2 2.5 only).
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
 *
 * mediasoup includes <srtp.h>; the libsrtp3 shim puts this directory first
 * on the include path. The libsrtp 3 names are macros that point to the
 * inline functions below, so nothing here clashes with libsrtp 2's symbols.
 */
#ifndef BLINDCALL_SRTP3_COMPAT_H
#define BLINDCALL_SRTP3_COMPAT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
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

#define srtp_err_status_buffer_small BLINDCALL_SRTP_ERR_BUFFER_SMALL
#define srtp_err_status_cryptex_err BLINDCALL_SRTP_ERR_CRYPTEX
#define srtp_protect blindcall_srtp3_protect
#define srtp_unprotect blindcall_srtp3_unprotect
#define srtp_protect_rtcp blindcall_srtp3_protect_rtcp
#define srtp_unprotect_rtcp blindcall_srtp3_unprotect_rtcp
#define srtp_stream_remove srtp_remove_stream

#endif /* BLINDCALL_SRTP3_COMPAT_H */
