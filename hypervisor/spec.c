/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Partition definitions: parsing and validation. Everything vmmd accepts (a create request or
 * the configuration file) goes through vmm_part_config_from_json(), so the two cannot drift.
 */
#include "vmm.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vsw_util.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int vmm_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	int i, hi, lo;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = hexval(s[i * 3]);
		lo = hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

void vmm_mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		mac[5]);
}

int vmm_cpus_parse(const char *s, uint32_t max_centi, uint32_t *centi)
{
	const char *dot = strchr(s, '.');
	char whole[12];
	uint32_t w, frac = 0;
	size_t n_frac = 0;
	uint64_t v;

	if (dot == NULL)
		dot = s + strlen(s);
	if (dot == s || (size_t)(dot - s) >= sizeof(whole))
		return -EINVAL;
	memcpy(whole, s, (size_t)(dot - s));
	whole[dot - s] = '\0';
	if (vsw_parse_u32(whole, 0, UINT32_MAX, &w))
		return -EINVAL;
	if (*dot == '.') {
		for (n_frac = 0; dot[1 + n_frac]; n_frac++) {
			if (!isdigit((unsigned char)dot[1 + n_frac]) || n_frac >= 2)
				return -EINVAL;
			frac = frac * 10 + (uint32_t)(dot[1 + n_frac] - '0');
		}
		if (n_frac == 0)
			return -EINVAL;
		if (n_frac == 1)
			frac *= 10;
	}
	v = (uint64_t)w * 100 + frac;
	if (v < VMM_CPUS_MIN_CENTI || v > max_centi)
		return -ERANGE;
	*centi = (uint32_t)v;
	return 0;
}

void vmm_cpus_format(uint32_t centi, char *buf, size_t size)
{
	if (centi % 100 == 0)
		snprintf(buf, size, "%u", centi / 100);
	else if (centi % 10 == 0)
		snprintf(buf, size, "%u.%u", centi / 100, centi % 100 / 10);
	else
		snprintf(buf, size, "%u.%02u", centi / 100, centi % 100);
}

static int nic_field_set(struct vmm_nic *nic, const char *key, const char *val, unsigned int *seen,
	char *err, size_t errlen)
{
	static const char *const keys[] = {"switch", "mac", "port", "queues", "guest"};
	unsigned int i;

	for (i = 0; i < VSW_ARRAY_SIZE(keys) && strcmp(keys[i], key) != 0; i++)
		;
	if (i == VSW_ARRAY_SIZE(keys)) {
		snprintf(err, errlen,
			"unknown NIC key '%s' (switch, mac, port, queues and guest are allowed)", key);
		return -EINVAL;
	}
	if (*seen & (1u << i)) {
		snprintf(err, errlen, "NIC key '%s' given twice", key);
		return -EINVAL;
	}
	*seen |= 1u << i;
	switch (i) {
	case 0:
		if (!vsw_name_is_valid(val))
			goto bad_name;
		strcpy(nic->sw, val);
		return 0;
	case 1:
		if (vmm_mac_parse(val, nic->mac)) {
			snprintf(err, errlen,
				"invalid MAC address '%s' (expected xx:xx:xx:xx:xx:xx)", val);
			return -EINVAL;
		}
		if (nic->mac[0] & 1) {
			snprintf(err, errlen,
				"MAC address %s is multicast; a NIC needs a unicast one", val);
			return -EINVAL;
		}
		if (memcmp(nic->mac, "\0\0\0\0\0\0", 6) == 0) {
			snprintf(err, errlen, "MAC address %s is all zeros", val);
			return -EINVAL;
		}
		return 0;
	case 3:
		/* channels the guest may use: the primary + queues - 1 subchannels */
		if (vsw_parse_u32(val, 1, VMM_MAX_QUEUES, &nic->queues)) {
			snprintf(err, errlen, "invalid queues '%s' (1..%d)", val, VMM_MAX_QUEUES);
			return -EINVAL;
		}
		return 0;
	case 4:
		/* how the partition's init presents the NIC: our netvsc driver, or the
		 * uio_hv_generic view for a third-party driver such as DPDK's netvsc PMD */
		if (strcmp(val, "netvsc") != 0 && strcmp(val, "uio") != 0) {
			snprintf(err, errlen, "invalid guest '%s' (netvsc or uio)", val);
			return -EINVAL;
		}
		nic->guest_uio = strcmp(val, "uio") == 0;
		return 0;
	default:
		if (!vsw_name_is_valid(val))
			goto bad_name;
		strcpy(nic->port, val);
		return 0;
	}
bad_name:
	snprintf(err, errlen,
		"invalid %s name '%s' (1-15 of A-Z a-z 0-9 _ . -, not starting with -)", key, val);
	return -EINVAL;
}

static int nic_fields_complete(struct vmm_nic *nic, unsigned int seen, char *err, size_t errlen)
{
	if (!(seen & 8))
		nic->queues = 1; /* optional: a single channel */
	if ((seen & 7) != 7) {
		snprintf(err, errlen, "a NIC needs switch=, mac= and port=");
		return -EINVAL;
	}
	return 0;
}

int vmm_nic_spec_parse(const char *spec, struct vmm_nic *nic, char *err, size_t errlen)
{
	char buf[256], *save = NULL, *tok, *eq;
	unsigned int seen = 0;
	int ret;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "NIC spec too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	memset(nic, 0, sizeof(*nic));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL || eq == tok) {
			snprintf(err, errlen, "NIC spec: expected KEY=VALUE, got '%s'", tok);
			return -EINVAL;
		}
		*eq = '\0';
		ret = nic_field_set(nic, tok, eq + 1, &seen, err, errlen);
		if (ret)
			return ret;
	}
	return nic_fields_complete(nic, seen, err, errlen);
}

static int nic_from_json(
	json_t *jn, unsigned int idx, struct vmm_nic *nic, char *err, size_t errlen)
{
	unsigned int seen = 0;
	const char *key;
	char why[160];
	json_t *v;
	int ret;

	if (!json_is_object(jn)) {
		snprintf(err, errlen, "nics[%u]: not an object", idx);
		return -EINVAL;
	}
	memset(nic, 0, sizeof(*nic));
	json_object_foreach(jn, key, v)
	{
		if (!json_is_string(v)) {
			snprintf(err, errlen, "nics[%u].%s: not a string", idx, key);
			return -EINVAL;
		}
		ret = nic_field_set(nic, key, json_string_value(v), &seen, why, sizeof(why));
		if (ret)
			goto bad;
	}
	ret = nic_fields_complete(nic, seen, why, sizeof(why));
	if (ret == 0)
		return 0;
bad:
	snprintf(err, errlen, "NIC %u: %s", idx + 1, why);
	return ret;
}

/* Two NICs of one partition may not share a MAC address or a switch port. */
static int nics_check_unique(const struct vmm_part_config *c, char *err, size_t errlen)
{
	unsigned int i, j;
	char mac[18];

	for (i = 0; i < c->n_nics; i++) {
		for (j = 0; j < i; j++) {
			if (memcmp(c->nics[i].mac, c->nics[j].mac, 6) == 0) {
				vmm_mac_format(c->nics[i].mac, mac);
				snprintf(err, errlen, "MAC address %s is used by two NICs", mac);
				return -EINVAL;
			}
			if (strcmp(c->nics[i].sw, c->nics[j].sw) == 0 &&
				strcmp(c->nics[i].port, c->nics[j].port) == 0) {
				snprintf(err, errlen, "port %s on switch %s is used by two NICs",
					c->nics[i].port, c->nics[i].sw);
				return -EINVAL;
			}
		}
	}
	/* vsw-guest-init either presents every NIC in uio form or drives eth0 itself */
	for (i = 1; i < c->n_nics; i++) {
		if (c->nics[i].guest_uio != c->nics[0].guest_uio) {
			snprintf(err, errlen, "guest=uio NICs cannot share a partition with "
					      "guest=netvsc ones");
			return -EINVAL;
		}
	}
	return 0;
}

static int nics_from_json(json_t *jnics, struct vmm_part_config *c, char *err, size_t errlen)
{
	json_t *jn;
	size_t i;
	int ret;

	if (jnics == NULL || json_is_null(jnics))
		return 0;
	if (!json_is_array(jnics)) {
		snprintf(err, errlen, "nics: not an array");
		return -EINVAL;
	}
	if (json_array_size(jnics) > VMM_MAX_NICS) {
		snprintf(err, errlen, "at most %d NICs per partition", VMM_MAX_NICS);
		return -EINVAL;
	}
	json_array_foreach(jnics, i, jn)
	{
		ret = nic_from_json(jn, (unsigned int)i, &c->nics[i], err, errlen);
		if (ret)
			return ret;
	}
	c->n_nics = (unsigned int)json_array_size(jnics);
	return nics_check_unique(c, err, errlen);
}

static int cpus_from_json(json_t *v, uint32_t max_centi, uint32_t *centi, char *err, size_t errlen)
{
	double x, scaled;
	char lim[16];

	*centi = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v)) {
		snprintf(err, errlen, "cpus: not a number");
		return -EINVAL;
	}
	x = json_number_value(v);
	scaled = x * 100.0;
	/* hundredths of a CPU, exactly: 1.5 and 0.01 pass, 0.015 does not */
	if (!isfinite(scaled) || fabs(scaled - round(scaled)) > 1e-6) {
		snprintf(err, errlen, "cpus: at most two decimals");
		return -EINVAL;
	}
	if (round(scaled) < VMM_CPUS_MIN_CENTI || round(scaled) > max_centi) {
		vmm_cpus_format(max_centi, lim, sizeof(lim));
		snprintf(err, errlen, "cpus: %g is out of range 0.01-%s", x, lim);
		return -ERANGE;
	}
	*centi = (uint32_t)round(scaled);
	return 0;
}

static int keys_check(json_t *j, char *err, size_t errlen)
{
	static const char *const keys[] = {"name", "memory", "cpus", "cmd", "nics"};
	const char *key;
	unsigned int i;
	json_t *v;

	json_object_foreach(j, key, v)
	{
		for (i = 0; i < VSW_ARRAY_SIZE(keys) && strcmp(keys[i], key) != 0; i++)
			;
		if (i == VSW_ARRAY_SIZE(keys)) {
			snprintf(err, errlen, "unknown partition setting '%s'", key);
			return -EINVAL;
		}
	}
	return 0;
}

static int memory_from_json(json_t *v, uint32_t *mb, char *err, size_t errlen)
{
	json_int_t m;

	if (!json_is_integer(v)) {
		snprintf(err, errlen, "memory: a size in MiB is required");
		return -EINVAL;
	}
	m = json_integer_value(v);
	if (m < VMM_MEMORY_MIN_MB || m > VMM_MEMORY_MAX_MB) {
		snprintf(err, errlen, "memory: %lld MiB is out of range %u-%u", (long long)m,
			VMM_MEMORY_MIN_MB, VMM_MEMORY_MAX_MB);
		return -ERANGE;
	}
	*mb = (uint32_t)m;
	return 0;
}

static int cmd_from_json(json_t *v, char *cmd, char *err, size_t errlen)
{
	const char *s;

	cmd[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	s = json_string_value(v);
	if (s == NULL || strlen(s) >= VMM_CMD_MAX) {
		snprintf(err, errlen, "cmd: a string of at most %d bytes", VMM_CMD_MAX - 1);
		return -EINVAL;
	}
	/* json strings may hold NUL; the command line goes to execve, which cannot */
	if (strlen(s) != json_string_length(v)) {
		snprintf(err, errlen, "cmd: contains a NUL byte");
		return -EINVAL;
	}
	strcpy(cmd, s);
	return 0;
}

int vmm_part_config_from_json(
	json_t *j, uint32_t max_cpus_centi, struct vmm_part_config *cfg, char *err, size_t errlen)
{
	const char *name;
	int ret;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "partition: not an object");
		return -EINVAL;
	}
	memset(cfg, 0, sizeof(*cfg));
	ret = keys_check(j, err, errlen);
	if (ret)
		return ret;
	name = json_string_value(json_object_get(j, "name"));
	if (name == NULL || !vsw_name_is_valid(name)) {
		snprintf(err, errlen,
			"invalid partition name '%s' (1-15 of A-Z a-z 0-9 _ . -, not "
			"starting with -)",
			name ? name : "");
		return -EINVAL;
	}
	strcpy(cfg->name, name);
	ret = memory_from_json(json_object_get(j, "memory"), &cfg->memory_mb, err, errlen);
	ret = ret
		      ?: cpus_from_json(json_object_get(j, "cpus"), max_cpus_centi,
				 &cfg->cpus_centi, err, errlen);
	ret = ret ?: cmd_from_json(json_object_get(j, "cmd"), cfg->cmd, err, errlen);
	ret = ret ?: nics_from_json(json_object_get(j, "nics"), cfg, err, errlen);
	return ret;
}

json_t *vmm_part_config_to_json(const struct vmm_part_config *cfg)
{
	json_t *j, *nics;
	char mac[18];
	unsigned int i;

	nics = json_array();
	for (i = 0; nics && i < cfg->n_nics; i++) {
		json_t *n;

		vmm_mac_format(cfg->nics[i].mac, mac);
		n = json_pack("{s:s, s:s, s:s}", "switch", cfg->nics[i].sw, "mac", mac, "port",
			cfg->nics[i].port);
		/* "queues" and "guest" only when not the default: files stay readable by older
		 * vmmds */
		if (n && cfg->nics[i].queues > 1) {
			char q[12];

			snprintf(q, sizeof(q), "%u", cfg->nics[i].queues);
			json_object_set_new(n, "queues", json_string(q));
		}
		if (n && cfg->nics[i].guest_uio)
			json_object_set_new(n, "guest", json_string("uio"));
		json_array_append_new(nics, n);
	}
	j = json_pack("{s:s, s:i, s:o, s:o, s:o?}", "name", cfg->name, "memory",
		(json_int_t)cfg->memory_mb, "cpus",
		cfg->cpus_centi ? json_real(cfg->cpus_centi / 100.0) : json_null(), "cmd",
		cfg->cmd[0] ? json_string(cfg->cmd) : json_null(), "nics", nics);
	return j;
}
