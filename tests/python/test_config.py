# SPDX-License-Identifier: LGPL-2.1-or-later
"""DbPool.PoolConfig from Python: presets, properties, JSON, validation."""

import json
import unittest

from dbpooltest import DbPool, GLib, TempDirTestCase

DEFAULTS = {
    'min-connections': 2,
    'max-connections': 10,
    'connection-timeout-ms': 5000,
    'idle-timeout-ms': 300000,
    'max-lifetime-ms': 1800000,
    'busy-timeout-ms': 5000,
    'enable-wal': True,
    'statement-cache-size': 64,
    'maintenance-interval-ms': 30000,
}


class PresetTests(TempDirTestCase):
    def check(self, config, expected):
        for name, value in expected.items():
            self.assertEqual(config.get_property(name), value, name)

    def test_default(self):
        config = DbPool.PoolConfig.new('a.db')
        self.assertEqual(config.props.path, 'a.db')
        self.check(config, DEFAULTS)
        self.assertEqual(config.props.synchronous, DbPool.Synchronous.NORMAL)
        config.validate()

    def test_high_performance(self):
        config = DbPool.PoolConfig.new_high_performance('a.db')
        self.check(config, dict(DEFAULTS, **{
            'min-connections': 5, 'max-connections': 50,
            'connection-timeout-ms': 1000, 'idle-timeout-ms': 120000,
        }))
        config.validate()

    def test_memory_efficient(self):
        config = DbPool.PoolConfig.new_memory_efficient('a.db')
        self.check(config, dict(DEFAULTS, **{
            'min-connections': 1, 'max-connections': 5,
            'connection-timeout-ms': 10000, 'idle-timeout-ms': 600000,
        }))
        config.validate()

    def test_properties_are_python_attributes(self):
        config = DbPool.PoolConfig.new('a.db')
        config.props.max_connections = 3
        config.props.synchronous = DbPool.Synchronous.FULL
        self.assertEqual(config.get_max_connections(), 3)
        self.assertEqual(config.get_synchronous(), DbPool.Synchronous.FULL)

    def test_notify_only_on_change(self):
        config = DbPool.PoolConfig.new('a.db')
        seen = []
        config.connect('notify::max-connections', lambda *a: seen.append(a[1].name))
        config.props.max_connections = 20
        config.props.max_connections = 20
        self.assertEqual(seen, ['max-connections'])


class JsonTests(TempDirTestCase):
    def test_round_trip(self):
        config = DbPool.PoolConfig.new_high_performance('b.db')
        config.props.busy_timeout_ms = 1234
        config.props.synchronous = DbPool.Synchronous.FULL
        self.assertFalse(config.props.exclusive)
        config.props.exclusive = True
        text = config.to_json()
        parsed = json.loads(text)
        self.assertEqual(parsed['path'], 'b.db')
        self.assertIs(parsed['exclusive'], True)
        self.assertEqual(parsed['max-connections'], 50)
        self.assertEqual(parsed['busy-timeout-ms'], 1234)
        again = DbPool.PoolConfig.new_from_json(text)
        for pspec in config.list_properties():
            self.assertEqual(again.get_property(pspec.name),
                             config.get_property(pspec.name), pspec.name)

    def test_keys_are_property_names(self):
        config = DbPool.PoolConfig.new_from_json(
            json.dumps({'path': 'x.db', 'max-connections': 20, 'enable-wal': False}))
        self.assertEqual(config.props.path, 'x.db')
        self.assertEqual(config.props.max_connections, 20)
        self.assertFalse(config.props.enable_wal)
        # Unmentioned keys keep their defaults.
        self.assertEqual(config.props.min_connections, 2)

    def assertConfigError(self, text, mentions):
        with self.assertRaises(GLib.Error) as ctx:
            DbPool.PoolConfig.new_from_json(text)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)
        self.assertIn(mentions, ctx.exception.message)

    def test_unknown_key(self):
        self.assertConfigError('{"path": "x.db", "max-conections": 3}', 'max-conections')

    def test_wrong_type(self):
        self.assertConfigError('{"path": "x.db", "max-connections": "many"}',
                               'max-connections')

    def test_out_of_range(self):
        self.assertConfigError('{"path": "x.db", "min-connections": -1}',
                               'min-connections')

    def test_not_json(self):
        with self.assertRaises(GLib.Error) as ctx:
            DbPool.PoolConfig.new_from_json('{"path": ')
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)


class ValidateTests(TempDirTestCase):
    def assertInvalid(self, config, mentions):
        with self.assertRaises(GLib.Error) as ctx:
            config.validate()
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)
        self.assertIn(mentions, ctx.exception.message)

    def test_min_above_max(self):
        config = DbPool.PoolConfig.new('a.db')
        config.props.min_connections = 11
        self.assertInvalid(config, 'min-connections')

    def test_zero_max(self):
        config = DbPool.PoolConfig.new('a.db')
        config.props.min_connections = 0
        config.props.max_connections = 0
        self.assertInvalid(config, 'max-connections')

    def test_empty_path(self):
        self.assertInvalid(DbPool.PoolConfig.new(''), 'path')

    def test_pool_refuses_invalid_config(self):
        config = DbPool.PoolConfig.new(self.db_path())
        config.props.min_connections = 11
        with self.assertRaises(GLib.Error) as ctx:
            DbPool.Pool.new(config, None)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)


if __name__ == '__main__':
    unittest.main(verbosity=2)
