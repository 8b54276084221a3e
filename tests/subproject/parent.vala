/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parent project's Vala program: `parent-vala DIR`, one failing statement. */
int main (string[] args) {
    try {
        var pool = new Db.Pool.sync (new Db.PoolConfig (Path.build_filename (args[1], "vala.db")));
        var conn = pool.acquire (Db.Access.READ);
        try {
            conn.query ("SELECT * FROM nowhere", null);
            return 1;
        } catch (Db.PoolError.SQL e) {
            print ("parent-vala: %s\n", e.message);
        }
        conn.release ();
        pool.close ();
    } catch (GLib.Error e) {
        printerr ("parent-vala: %s\n", e.message);
        return 1;
    }
    return 0;
}
