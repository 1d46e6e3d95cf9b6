// SuiteSparse 5.12 from Debian (libsuitesparse-dev): CHOLMOD (sparse Cholesky / LDLᵀ), KLU and UMFPACK (sparse LU),
// AMD and COLAMD orderings. Debian ships no pkg-config file; the headers live in /usr/include/suitesparse, and their own
// quoted includes resolve next to them.
#ifndef SOLVERD_CSUITESPARSE_SHIM_H
#define SOLVERD_CSUITESPARSE_SHIM_H
#include <suitesparse/cholmod.h>
#include <suitesparse/klu.h>
#include <suitesparse/umfpack.h>
#include <suitesparse/amd.h>
#include <suitesparse/colamd.h>

/// The ordering CHOLMOD's analysis chose (CHOLMOD_NATURAL, _AMD, _METIS, _NESDIS, ...), read from the method table
/// Swift cannot index (a fixed-size array of structs).
static inline int solverd_cholmod_selected_ordering(const cholmod_common *c) {
    if (c->selected < 0 || c->selected > CHOLMOD_MAXMETHODS) return -1;
    return c->method[c->selected].ordering;
}
#endif
