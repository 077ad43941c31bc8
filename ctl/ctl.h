/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <jansson.h>

/* Build the request's "args" from the command line; exits with status 2 on a usage error. */
struct ctl_cmd {
	const char *name;
	int min_args, max_args; /* positional arguments, -1 = unlimited */
	const char *usage;
	const char *help;
	int (*build)(const struct ctl_cmd *cmd, int argc, char **argv, json_t *args);
	void (*print)(json_t *result);
};

extern const struct ctl_cmd ctl_cmds[];
extern const unsigned int ctl_n_cmds;

#endif
