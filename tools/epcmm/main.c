// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "epcmm.h"

int epcmm_demo(int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("epcmm %s\n", EPCMM_VERSION_STRING);
		return 0;
	}
	return epcmm_demo(argc, argv);
}
