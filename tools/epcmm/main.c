// SPDX-License-Identifier: MIT
/*
 * main.c - the epcmm command line: the command table and every command are
 * in the tool's library (commands.c), so the tests can walk the table.
 */
#include "options.h"

int main(int argc, char **argv)
{
	return tool_main(argc, argv);
}
