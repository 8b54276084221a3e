/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Vala binding, compiled by valac against the dbpool-1.0.vapi this build
 * generated: the error domain (quark, catch by code, throw, match), the async
 * constructor and query_async with `yield`, and an error crossing run_async.
 *
 * Every test here is about what valac emits in C: `Db.PoolError.SQL` in a catch
 * clause compiles to g_error_matches (e, DB_POOL_ERROR, DB_POOL_ERROR_SQL), and a
 * wrong symbol prefix in the vapi makes that DBPOOL_POOL_ERROR, which does not
 * exist. So the build of this file is itself most of the test.
 */

static string test_dir;

static Db.Pool open_pool (string name) throws GLib.Error {
    var config = new Db.PoolConfig (Path.build_filename (test_dir, name));
    config.set_connection_timeout_ms (5000);
    return new Db.Pool.sync (config);
}

static void test_quark () {
    /* The domain C registers (G_DEFINE_QUARK in db-types.c) and the one Vala uses
     * for `Db.PoolError` must be the same quark, under its documented name. */
    assert_true (Db.PoolError.quark () == Quark.from_string ("db-pool-error-quark"));
    GLib.Error e = new Db.PoolError.TIMEOUT ("built in Vala");
    assert_true (e.domain == Db.PoolError.quark ());
    assert_true (e.code == Db.PoolError.TIMEOUT);
}

static void test_catch_by_code () {
    try {
        var pool = open_pool ("catch.db");
        var conn = pool.acquire (Db.Access.WRITE);
        conn.execute ("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)", null);
        conn.execute ("INSERT INTO t (name) VALUES (?)", new Variant ("(s)", "a"));

        bool caught = false;
        try {
            conn.execute ("INSERT INTO t (name) VALUES (?)", new Variant ("(s)", "a"));
            assert_not_reached ();
        } catch (Db.PoolError.SQL e) {
            /* A UNIQUE violation is CONSTRAINT, not the generic SQL code. */
            assert_not_reached ();
        } catch (Db.PoolError.CONSTRAINT e) {
            caught = true;
            assert_true ("UNIQUE" in e.message);
        }
        assert_true (caught);

        caught = false;
        try {
            conn.execute ("SELEC nonsense", null);
            assert_not_reached ();
        } catch (Db.PoolError.SQL e) {
            caught = true;
            assert_true (e is Db.PoolError.SQL);
            assert_true (e.matches (Db.PoolError.quark (), Db.PoolError.SQL));
            assert_false (e is Db.PoolError.CONSTRAINT);
        }
        assert_true (caught);

        conn.release ();
        pool.close ();
    } catch (GLib.Error e) {
        error ("unexpected error: %s", e.message);
    }
}

static void test_names () {
    /* The other names the namespace's C prefix decides: constants keep their DBPOOL_
     * macros, properties go through their C getters. */
    assert_true (Db.MAJOR_VERSION == 1);
    assert_true (Db.VERSION_S.has_prefix ("1."));
    try {
        var pool = open_pool ("names.db");
        assert_true (pool.config.path.has_suffix ("names.db"));
        assert_true (pool.config.connection_timeout_ms == 5000);
        pool.close ();
    } catch (GLib.Error e) {
        error ("unexpected error: %s", e.message);
    }
}

static void fail_with_misuse (string why) throws Db.PoolError {
    throw new Db.PoolError.MISUSE ("Vala says: %s", why);
}

static void test_throw () {
    /* Thrown in Vala, caught by domain, then examined as a plain GError. */
    try {
        fail_with_misuse ("no");
        assert_not_reached ();
    } catch (Db.PoolError e) {
        assert_true (e is Db.PoolError.MISUSE);
        assert_true (e.code == Db.PoolError.MISUSE);
        assert_true (e.domain == Quark.from_string ("db-pool-error-quark"));
        assert_true (e.message == "Vala says: no");
    }
}

static async void query_async_body () {
    try {
        var config = new Db.PoolConfig (Path.build_filename (test_dir, "async.db"));
        var pool = yield new Db.Pool (config, Priority.DEFAULT, null);

        int64 rowid;
        yield pool.execute_async ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
                                  null, null, out rowid);
        var changed = yield pool.execute_async ("INSERT INTO notes (body) VALUES (?), (?)",
                                                new Variant ("(ss)", "one", "two"), null,
                                                out rowid);
        assert_true (changed == 2);
        assert_true (rowid == 2);

        var rows = yield pool.query_async ("SELECT id, body FROM notes WHERE id >= :from ORDER BY id",
                                           new Variant.parsed ("{'from': <int64 1>}"), null);
        assert_true (rows.get_n_rows () == 2);
        assert_true (rows.get_column_name (1) == "body");
        assert_true (rows.get_int64 (0, 0) == 1);
        assert_true (rows.get_string (1, 1) == "two");

        /* An SQL error from a worker arrives at the `yield` as Db.PoolError.SQL. */
        bool caught = false;
        try {
            yield pool.query_async ("SELECT * FROM missing_table", null, null);
            assert_not_reached ();
        } catch (Db.PoolError.SQL e) {
            caught = true;
            assert_true ("missing_table" in e.message);
        }
        assert_true (caught);

        /* A Db.PoolError thrown by Vala code on a pool worker reaches the caller. */
        caught = false;
        try {
            yield pool.run_async (Db.Access.READ, (conn) => {
                throw new Db.PoolError.INVALID_INPUT ("thrown on a worker");
            }, null);
            assert_not_reached ();
        } catch (Db.PoolError.INVALID_INPUT e) {
            caught = true;
            assert_true (e.message == "thrown on a worker");
        }
        assert_true (caught);

        assert_true (yield pool.close_async (null));

        /* And the domain's own codes from the pool: closed is CLOSED. */
        caught = false;
        try {
            yield pool.query_async ("SELECT 1", null, null);
            assert_not_reached ();
        } catch (Db.PoolError.CLOSED e) {
            caught = true;
        }
        assert_true (caught);
    } catch (GLib.Error e) {
        error ("unexpected error: %s", e.message);
    }
}

static void test_query_async () {
    /* The async body runs on this thread's main loop, as a Vala application's would. */
    var loop = new MainLoop (null, false);
    query_async_body.begin ((obj, res) => {
        query_async_body.end (res);
        loop.quit ();
    });
    loop.run ();
}

public static int main (string[] args) {
    Test.init (ref args);
    try {
        test_dir = DirUtils.make_tmp ("dbpool-vala-XXXXXX");
    } catch (FileError e) {
        error ("no temporary directory: %s", e.message);
    }

    Test.add_func ("/vala/error/quark", test_quark);
    Test.add_func ("/vala/error/catch-by-code", test_catch_by_code);
    Test.add_func ("/vala/error/throw", test_throw);
    Test.add_func ("/vala/names", test_names);
    Test.add_func ("/vala/async/query", test_query_async);
    var status = Test.run ();

    foreach (var name in new string[] { "catch.db", "names.db", "async.db" }) {
        foreach (var suffix in new string[] { "", "-wal", "-shm" })
            FileUtils.unlink (Path.build_filename (test_dir, name + suffix));
    }
    DirUtils.remove (test_dir);
    return status;
}
