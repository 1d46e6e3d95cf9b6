// Re-exports for Swift: libwebsockets 4.1.6 macros that the Clang importer cannot see, and a few tiny helpers.
#ifndef SOLVERD_CLIBWEBSOCKETS_SHIM_H
#define SOLVERD_CLIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>

/// Bytes lws needs in front of every buffer passed to lws_write (frame / chunk headers are written there).
static const size_t CLWS_PRE = LWS_PRE;

/// Pass as content length to lws_add_http_common_headers to say "no content-length" (connection closes at end).
static const unsigned long CLWS_ILLEGAL_HTTP_CONTENT_LEN = LWS_ILLEGAL_HTTP_CONTENT_LEN;

/// `lws_set_timeout(wsi, reason, CLWS_TO_KILL_ASYNC)` closes the wsi on the next service pass.
static const int CLWS_TO_KILL_ASYNC = LWS_TO_KILL_ASYNC;

/// The lws_write flag for one fragment of a multi-frame WebSocket message (wraps the inline helper so Swift gets
/// the enum type it expects).
static inline enum lws_write_protocol clws_ws_write_flags(enum lws_write_protocol initial, int is_start, int is_end) {
    return (enum lws_write_protocol)lws_write_ws_flags((int)initial, is_start, is_end);
}

/// Options are a plain bit set in lws; some are macros that expand to casts Swift cannot import.
static const unsigned long long CLWS_OPTION_FAIL_UPON_UNABLE_TO_BIND = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
static const unsigned long long CLWS_OPTION_DO_SSL_GLOBAL_INIT = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
static const unsigned long long CLWS_OPTION_VALIDATE_UTF8 = LWS_SERVER_OPTION_VALIDATE_UTF8;
static const unsigned long long CLWS_OPTION_DISABLE_IPV6 = LWS_SERVER_OPTION_DISABLE_IPV6;

#endif
