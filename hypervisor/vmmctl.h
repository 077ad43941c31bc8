/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmctl: turning a command line into a control request (ctl_args.c), kept apart from main so
 * that it can be unit-tested. */
#ifndef VSW_VMMCTL_H
#define VSW_VMMCTL_H

#include <stddef.h>

#include <jansson.h>

#define VMMCTL_IO_TIMEOUT_S 30 /* per read/write on the control socket */

struct vmm_ctl_cmd {
	const char *name;
	const char *usage; /* arguments, for the help text */
	const char *help;
};

extern const struct vmm_ctl_cmd vmm_ctl_cmds[];
extern const unsigned int vmm_ctl_n_cmds;

/*
 * Build the request {"cmd": argv[0], "args": {...}} for 'argc' words starting with the command
 * name. Only the syntax is checked here (values are vmmd's to validate, so that a refused value
 * exits 1 like any refusal): a malformed command line returns -EINVAL with a message in 'err'.
 * '*wait_s' is how long the reply may take (a stop waits for the partition). Returns 0 with a
 * new reference in '*req', or -EINVAL / -ENOMEM.
 */
int vmm_ctl_build(
	int argc, char **argv, json_t **req, unsigned int *wait_s, char *err, size_t errlen);

#endif
