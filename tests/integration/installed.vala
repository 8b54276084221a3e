/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Vala program built against an installed dbpool, as docs/using.md says:
 *
 *   valac --vapidir=PREFIX/share/vala/vapi --pkg dbpool-1.0 installed.vala
 *
 * (with PKG_CONFIG_PATH pointing at PREFIX's pkgconfig directory). The installed
 * dbpool-1.0.deps brings in gio-2.0; the error domain must compile.
 */
int main (string[] args) {
    try {
        var pool = new Db.Pool.sync (new Db.PoolConfig (Path.build_filename (args[1], "vala.db")));
        var conn = pool.acquire (Db.Access.WRITE);
        try {
            conn.execute ("SELEC", null);
            return 1;
        } catch (Db.PoolError.SQL e) {
            print ("Vala: caught Db.PoolError.SQL\n");
        }
        conn.release ();
        pool.close ();
    } catch (GLib.Error e) {
        printerr ("Vala: %s\n", e.message);
        return 1;
    }
    return 0;
}
