/* SPDX-License-Identifier: BSD-3-Clause */
#include "fdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#define FDB_FREE_END UINT32_MAX

static uint32_t entry_alloc(struct vs_fdb *fdb)
{
	uint32_t idx = fdb->free_head;

	if (idx != FDB_FREE_END)
		fdb->free_head = fdb->entries[idx].next_free;
	return idx;
}

static void entry_free(struct vs_fdb *fdb, uint32_t idx)
{
	fdb->entries[idx].next_free = fdb->free_head;
	fdb->free_head = idx;
}

/* Called by rte_hash once no reader can still hold the deleted key's data. */
static void entry_reclaim(void *p, void *key_data)
{
	entry_free(p, (uint32_t)(uintptr_t)key_data);
}

struct vs_fdb *vs_fdb_create(const char *name, uint32_t capacity, struct rte_rcu_qsbr *qs)
{
	struct rte_hash_parameters params = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct vs_fdb_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct vs_fdb *fdb;
	uint32_t i;

	fdb = calloc(1, sizeof(*fdb));
	if (fdb == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	fdb->capacity = capacity;
	/* Live plus not-yet-reclaimed entries never exceed twice the key store. */
	fdb->pool_size = 2 * capacity + 64;
	fdb->entries = rte_zmalloc(name, sizeof(*fdb->entries) * fdb->pool_size, 64);
	if (fdb->entries == NULL) {
		rte_errno = ENOMEM;
		goto err_free;
	}
	fdb->free_head = FDB_FREE_END;
	for (i = fdb->pool_size; i-- > 0;)
		entry_free(fdb, i);
	fdb->hash = rte_hash_create(&params);
	if (fdb->hash == NULL)
		goto err_entries;
	if (qs) {
		struct rte_hash_rcu_config rcu = {
			.v = qs,
			.mode = RTE_HASH_QSBR_MODE_DQ,
			.key_data_ptr = fdb,
			.free_key_data_func = entry_reclaim,
		};
		int ret = rte_hash_rcu_qsbr_add(fdb->hash, &rcu);

		if (ret) {
			rte_errno = -ret > 0 ? -ret : EINVAL;
			goto err_hash;
		}
		fdb->rcu = true;
	}
	return fdb;

err_hash:
	rte_hash_free(fdb->hash);
err_entries:
	rte_free(fdb->entries);
err_free:
	free(fdb);
	return NULL;
}

void vs_fdb_destroy(struct vs_fdb *fdb)
{
	if (fdb == NULL)
		return;
	rte_hash_free(fdb->hash);
	rte_free(fdb->entries);
	free(fdb);
}

int vs_fdb_learn(struct vs_fdb *fdb, const struct vs_fdb_key *key, uint16_t port, uint64_t now)
{
	struct vs_fdb_entry *e;
	uint32_t idx;
	int ret;

	e = vs_fdb_lookup(fdb, key);
	if (e) {
		__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
		if (vs_fdb_entry_port(e) == port)
			return 2;
		__atomic_store_n(&e->port, port, __ATOMIC_RELAXED);
		fdb->stats.moved++;
		return 1;
	}
	if (fdb->n_entries >= fdb->capacity)
		goto full;
	idx = entry_alloc(fdb);
	if (idx == FDB_FREE_END)
		goto full;
	e = &fdb->entries[idx];
	e->key = *key;
	e->port = port;
	e->last_seen = now;
	/* The hash publishes the key with release semantics, after the entry is written. */
	ret = rte_hash_add_key_data(fdb->hash, key, (void *)(uintptr_t)idx);
	if (ret < 0) {
		entry_free(fdb, idx);
		goto full;
	}
	fdb->n_entries++;
	fdb->stats.learned++;
	return 0;
full:
	fdb->stats.full++;
	return -ENOSPC;
}

static void entry_delete(struct vs_fdb *fdb, const struct vs_fdb_key *key, uint32_t idx)
{
	int32_t pos;

	/*
	 * Bump the generation before the delete starts its grace period: a worker that reports a
	 * quiescent state for that grace period then sees the new generation and drops the cached
	 * index before the entry can be reused.
	 */
	__atomic_store_n(&fdb->gen, fdb->gen + 1, __ATOMIC_RELEASE);
	pos = rte_hash_del_key(fdb->hash, key);
	if (pos < 0)
		return;
	fdb->n_entries--;
	if (fdb->rcu)
		return; /* the hash recycles the slot and calls entry_reclaim() after a grace period */
	/* No concurrent readers: the key slot and the entry can be reused at once. */
	rte_hash_free_key_with_position(fdb->hash, pos);
	entry_free(fdb, idx);
}

struct fdb_victims {
	struct vs_fdb_key *keys;
	uint32_t *idx;
	unsigned int n;
};

/* Collect matching entries first: deleting while rte_hash_iterate() walks is not allowed. */
static unsigned int fdb_delete_if(struct vs_fdb *fdb,
	bool (*match)(const struct vs_fdb_entry *e, const void *arg), const void *arg)
{
	struct fdb_victims v;
	const void *key;
	void *data;
	uint32_t iter = 0;
	unsigned int i;

	v.keys = malloc(sizeof(*v.keys) * (fdb->n_entries + 1));
	v.idx = malloc(sizeof(*v.idx) * (fdb->n_entries + 1));
	v.n = 0;
	if (v.keys == NULL || v.idx == NULL)
		goto out;
	while (rte_hash_iterate(fdb->hash, &key, &data, &iter) >= 0 && v.n < fdb->n_entries) {
		const struct vs_fdb_entry *e = &fdb->entries[(uintptr_t)data];

		if (!match(e, arg))
			continue;
		v.keys[v.n] = e->key;
		v.idx[v.n++] = (uint32_t)(uintptr_t)data;
	}
	for (i = 0; i < v.n; i++)
		entry_delete(fdb, &v.keys[i], v.idx[i]);
out:
	free(v.keys);
	free(v.idx);
	return v.n;
}

struct age_arg {
	uint64_t now, max_age;
};

static bool age_match(const struct vs_fdb_entry *e, const void *arg)
{
	const struct age_arg *a = arg;
	uint64_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);

	/* a worker may have refreshed the entry with a slightly later clock than 'now' */
	return !e->is_static && seen < a->now && a->now - seen > a->max_age;
}

unsigned int vs_fdb_age(struct vs_fdb *fdb, uint64_t now, uint64_t max_age)
{
	struct age_arg a = {now, max_age};
	unsigned int n = fdb_delete_if(fdb, age_match, &a);

	fdb->stats.aged += n;
	return n;
}

struct flush_arg {
	int vlan, port;
};

static bool flush_match(const struct vs_fdb_entry *e, const void *arg)
{
	const struct flush_arg *f = arg;

	return (f->vlan < 0 || e->key.vlan == f->vlan) &&
	       (f->port < 0 || vs_fdb_entry_port(e) == f->port);
}

unsigned int vs_fdb_flush(struct vs_fdb *fdb, int vlan, int port)
{
	struct flush_arg f = {vlan, port};

	return fdb_delete_if(fdb, flush_match, &f);
}

int vs_fdb_walk(struct vs_fdb *fdb, int (*cb)(const struct vs_fdb_entry *e, void *arg), void *arg)
{
	const void *key;
	void *data;
	uint32_t iter = 0;
	int ret;

	while (rte_hash_iterate(fdb->hash, &key, &data, &iter) >= 0) {
		ret = cb(&fdb->entries[(uintptr_t)data], arg);
		if (ret)
			return ret;
	}
	return 0;
}
