/*
 * liburing 2.5 API on top of an older system liburing (Debian bookworm: 2.3).
 *
 * mediasoup's DepLibUring.cpp includes <liburing.h>; this directory comes first
 * on the include path, so this file wraps the system header and adds what the
 * liburing shim's meson.build found missing (see the BLINDCALL_LIBURING_* macros).
 */
#ifndef BLINDCALL_LIBURING_COMPAT_H
#define BLINDCALL_LIBURING_COMPAT_H

#include_next <liburing.h>

#ifdef BLINDCALL_LIBURING_ADD_SENDTO
/*
 * liburing >= 2.4 defines sendto as send plus a destination address in the
 * SQE (IORING_OP_SEND honours addr2/addr_len since Linux 6.0; mediasoup only
 * enables io_uring on kernels >= 6). Both halves exist in liburing 2.3.
 */
static inline void io_uring_prep_sendto(
  struct io_uring_sqe* sqe,
  int sockfd,
  const void* buf,
  size_t len,
  int flags,
  const struct sockaddr* addr,
  socklen_t addrlen)
{
	io_uring_prep_send(sqe, sockfd, buf, len, flags);
	io_uring_prep_send_set_addr(sqe, addr, (__u16)addrlen);
}
#endif

#ifdef BLINDCALL_LIBURING_ADD_VERSION
/* mediasoup only logs these; report the system library's pkg-config version. */
static inline int io_uring_major_version(void)
{
	return BLINDCALL_LIBURING_MAJOR;
}

static inline int io_uring_minor_version(void)
{
	return BLINDCALL_LIBURING_MINOR;
}
#endif

#endif /* BLINDCALL_LIBURING_COMPAT_H */
