/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ntddk.h is wdm.h plus what only non-WDM drivers use; a WSK client needs
 * nothing from the second part, so this is wdm.h under the name drivers
 * include first.
 */
#ifndef LWFP_WIN_NTDDK_H
#define LWFP_WIN_NTDDK_H

#include "wdm.h"

#endif /* LWFP_WIN_NTDDK_H */
