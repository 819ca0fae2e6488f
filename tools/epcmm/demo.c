// SPDX-License-Identifier: MIT
#include "epcmm.h"
int epcmm_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
