/*
 * mediasoup's meson.build passes this subproject's library to `link_whole`.
 * The shim's real code comes from a Debian system library through the
 * subproject's dependency object, so the archive only needs to exist.
 */
typedef int blindcall_shim_placeholder;
