/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The export marker, shared by liblwfp and liblwfp-win. It is all the
 * Windows layer takes from lib/: the layer builds as its own library on
 * liblwfp's exported API, so it must not include internal.h, whose
 * declarations liblwfp.so hides.
 */
#pragma once

#define LWFP_API __attribute__((visibility("default")))
