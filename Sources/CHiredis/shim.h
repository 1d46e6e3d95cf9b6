// hiredis 0.14 (Debian libhiredis-dev) for SolverCluster/Redis. Only the synchronous API is used.
#include <hiredis/hiredis.h>
#include <sys/socket.h>
