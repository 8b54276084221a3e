# SPDX-License-Identifier: LGPL-2.1-or-later
"""db_pool_get_metrics() read by a real OpenMetrics parser (prometheus_client, Debian's
python3-prometheus-client): the names, types, units and labels a scraper sees, and
values that agree with the stats after known activity."""

import json
import math
import threading
import unittest

from dbpooltest import DbPool, TempDirTestCase

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError as e:  # a missing parser is a failure, not a skip
    raise ImportError('test_metrics needs prometheus_client (Debian: python3-prometheus-client)') from e

# Quotes, a backslash, a line feed and non-ASCII: everything the label escaping handles.
NAME = 'app "main" \\ café\nsecond line'

HISTOGRAMS = ('db_client_connection_create_time_seconds',
              'db_client_connection_wait_time_seconds',
              'db_client_connection_use_time_seconds')


def parse(text):
    """{family name: Metric}, parsed strictly (the parser raises on malformed text)."""
    return {m.name: m for m in text_string_to_metric_families(text)}


def value(family, sample_name, **labels):
    found = [s.value for s in family.samples
             if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items())]
    if len(found) != 1:
        raise AssertionError('%d samples %s%r in %s' % (len(found), sample_name, labels, family.name))
    return found[0]


class MetricsTests(TempDirTestCase):
    def open_named_pool(self, **props):
        config = DbPool.PoolConfig.new(self.db_path())
        config.props.name = NAME
        return self.open_pool(config, **props)

    def test_families_after_three_acquires(self):
        pool = self.open_named_pool(min_connections=1, max_connections=4)
        for _ in range(3):
            with pool.acquire(DbPool.Access.READ):
                pass
        text = pool.get_metrics()
        stats = pool.get_stats()
        self.assertTrue(text.endswith('\n# EOF\n'))
        families = parse(text)

        expected_types = {
            'db_client_connection_count': 'gauge',
            'db_client_connection_idle_max': 'gauge',
            'db_client_connection_idle_min': 'gauge',
            'db_client_connection_max': 'gauge',
            'db_client_connection_pending_requests': 'gauge',
            'db_client_connection_timeouts': 'counter',
            'db_client_connection_create_time_seconds': 'histogram',
            'db_client_connection_wait_time_seconds': 'histogram',
            'db_client_connection_use_time_seconds': 'histogram',
            'dbpool_connections_destroyed': 'counter',
            'dbpool_connection_errors': 'counter',
            'dbpool_group_commits': 'counter',
            'dbpool_group_commit_jobs': 'counter',
            'dbpool_max_wait_time_seconds': 'gauge',
            'dbpool_circuit_state': 'stateset',
        }
        self.assertEqual({n: f.type for n, f in families.items()}, expected_types)
        for name in HISTOGRAMS + ('dbpool_max_wait_time_seconds',):
            self.assertEqual(families[name].unit, 'seconds', name)
        # Every sample names the pool, unescaped back to the exact name.
        for family in families.values():
            for s in family.samples:
                self.assertEqual(s.labels['pool_name'], NAME, s)

        count = families['db_client_connection_count']
        self.assertEqual(value(count, 'db_client_connection_count', state='idle'),
                         stats.current_idle_connections)
        self.assertEqual(value(count, 'db_client_connection_count', state='used'), 0)
        self.assertEqual(value(families['db_client_connection_max'],
                               'db_client_connection_max'), 4)
        self.assertEqual(value(families['db_client_connection_idle_max'],
                               'db_client_connection_idle_max'), 4)
        self.assertEqual(value(families['db_client_connection_idle_min'],
                               'db_client_connection_idle_min'), 1)
        self.assertEqual(value(families['db_client_connection_pending_requests'],
                               'db_client_connection_pending_requests'), 0)
        self.assertEqual(value(families['db_client_connection_timeouts'],
                               'db_client_connection_timeouts_total'), 0)

        wait = families['db_client_connection_wait_time_seconds']
        self.assertEqual(stats.total_requests, 3)
        self.assertEqual(value(wait, 'db_client_connection_wait_time_seconds_count'), 3)
        self.assertAlmostEqual(value(wait, 'db_client_connection_wait_time_seconds_sum'),
                               stats.total_wait_time_us / 1e6, places=6)
        use = families['db_client_connection_use_time_seconds']
        self.assertEqual(value(use, 'db_client_connection_use_time_seconds_count'), 3)
        create = families['db_client_connection_create_time_seconds']
        self.assertEqual(value(create, 'db_client_connection_create_time_seconds_count'),
                         stats.total_connections_created)

        for name in HISTOGRAMS:
            buckets = [(float(s.labels['le']), s.value) for s in families[name].samples
                       if s.name == name + '_bucket']
            self.assertEqual(len(buckets), 22, name)
            self.assertEqual(buckets[0][0], 0.00001, name)
            self.assertEqual(buckets[-2][0], 60.0, name)
            self.assertTrue(math.isinf(buckets[-1][0]), name)
            self.assertEqual(buckets[-1][1], value(families[name], name + '_count'), name)

        states = {s.labels['dbpool_circuit_state']: s.value
                  for s in families['dbpool_circuit_state'].samples}
        self.assertEqual(states, {'closed': 1, 'open': 0, 'half-open': 0})

    def test_use_time_of_held_lease(self):
        pool = self.open_named_pool(min_connections=1, max_connections=2)
        with pool.acquire(DbPool.Access.WRITE):
            threading.Event().wait(0.03)
        families = parse(pool.get_metrics())
        use = families['db_client_connection_use_time_seconds']
        le = {s.labels['le']: s.value for s in use.samples
              if s.name == 'db_client_connection_use_time_seconds_bucket'}
        # Held for 30 ms or more: not in the 25 ms bucket, in every bucket from 1 s up.
        self.assertEqual(le['0.025'], 0)
        self.assertEqual(le['1'], 1)
        self.assertGreaterEqual(value(use, 'db_client_connection_use_time_seconds_sum'), 0.03)

    def test_stats_json_has_the_same_histograms(self):
        pool = self.open_named_pool()
        for _ in range(3):
            with pool.acquire(DbPool.Access.READ):
                pass
        parsed = json.loads(pool.get_stats_json())
        families = parse(pool.get_metrics())
        # The existing keys keep their values; the new ones follow.
        old = json.loads(pool.get_stats().to_json())
        self.assertEqual(list(parsed)[:len(old)], list(old))
        self.assertEqual(parsed['name'], NAME)
        for key, family in (('wait-time-histogram', 'db_client_connection_wait_time_seconds'),
                            ('use-time-histogram', 'db_client_connection_use_time_seconds'),
                            ('create-time-histogram', 'db_client_connection_create_time_seconds')):
            h = parsed[key]
            self.assertEqual(h['count'], value(families[family], family + '_count'), key)
            self.assertEqual(sum(h['bucket-counts']), h['count'], key)
            self.assertEqual(len(h['bucket-counts']), len(h['bucket-bounds-us']) + 1, key)
            cumulative = 0
            for bound, n in zip(h['bucket-bounds-us'], h['bucket-counts']):
                cumulative += n
                le = format(bound / 1e6, '.6f').rstrip('0').rstrip('.')
                self.assertEqual(value(families[family], family + '_bucket', le=le),
                                 cumulative, (key, bound))
        self.assertEqual(parsed['wait-time-histogram']['count'], parsed['total-requests'])

    def test_default_name_and_config_json(self):
        pool = self.open_pool()
        families = parse(pool.get_metrics())
        self.assertEqual(families['db_client_connection_max'].samples[0].labels,
                         {'pool_name': 'dbpool'})
        config = DbPool.PoolConfig.new_from_json(json.dumps({'path': 'x.db', 'name': 'lsp'}))
        self.assertEqual(config.props.name, 'lsp')
        self.assertEqual(json.loads(config.to_json())['name'], 'lsp')

    def test_from_any_thread_while_busy(self):
        pool = self.open_named_pool(max_connections=3)
        stop = threading.Event()
        errors = []

        def work():
            try:
                while not stop.is_set():
                    with pool.acquire(DbPool.Access.READ):
                        pass
            except Exception as e:  # reported below, on the test's thread
                errors.append(e)

        workers = [threading.Thread(target=work) for _ in range(3)]
        for t in workers:
            t.start()
        try:
            for _ in range(50):
                families = parse(pool.get_metrics())
                for name in HISTOGRAMS:
                    samples = families[name].samples
                    inf = value(families[name], name + '_bucket', le='+Inf')
                    self.assertEqual(inf, value(families[name], name + '_count'))
                    counts = [s.value for s in samples if s.name == name + '_bucket']
                    self.assertEqual(counts, sorted(counts), name)
        finally:
            stop.set()
            for t in workers:
                t.join()
        self.assertEqual(errors, [])


if __name__ == '__main__':
    unittest.main()
