/* SPDX-License-Identifier: MIT */
/*
 * api.h - the mark of a public function (include/epcmm.h).
 *
 * The library's objects are built with hidden visibility (meson.build); a
 * function of the public API is defined with EPC_API in front, which keeps
 * it visible to whatever links the objects. The shared library exports
 * exactly what src/libepcmm.map lists (tests/abi checks that against the
 * header). One definition here, for every file that defines public
 * functions.
 */
#ifndef EPC_UTIL_API_H
#define EPC_UTIL_API_H

#define EPC_API __attribute__((visibility("default")))

#endif
