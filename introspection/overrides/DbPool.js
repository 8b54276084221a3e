// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs override for DbPool: plain JavaScript values as statement parameters, rows as
// plain objects, promises from the async calls.
//
// gjs applies it by itself when a program imports the namespace (`import DbPool from
// 'gi://DbPool'` or `imports.gi.DbPool`): it looks for `overrides/DbPool.js` in each
// directory of its search path, which includes `<datadir>/gjs-1.0` for the /usr and
// /usr/local prefixes and every directory in GJS_PATH. `meson install` puts this file
// in `<datadir>/gjs-1.0/overrides/`. It is a legacy (non-ES) module because that is
// what gjs 1.74 loads as an override; `_init` runs with `this` as the namespace.
//
// - Parameters: an Array for `?` placeholders, a plain object for `:name` ones (keys
//   with or without the prefix), null for none. A safe integer binds as INTEGER, any
//   other number as REAL, a BigInt as INTEGER (int64 range), a string as TEXT, a
//   boolean as 0/1, null as NULL, a Uint8Array or GLib.Bytes as a BLOB; a GLib.Variant
//   is passed through. Anything else is a TypeError naming the parameter.
// - Rows: `rows.toObjects()` (one plain object per row, keyed by column name),
//   `rows.toArrays()`, `rows.at(i)`, `for (const row of rows)`, `rows.length`,
//   `rows.columns`. INTEGER is a Number when it is a safe integer and a BigInt when it
//   is not (so no digit is lost), REAL a Number, TEXT a string, BLOB a Uint8Array,
//   NULL null.
// - `pool.execute_async`, `query_async`, `acquire_async`, `close_async` (and
//   `execute_batch_async` where the library has it), `DbPool.Pool.new_async` and
//   HistoryStorage's async calls return a Promise when called without a callback,
//   as with Gio._promisify. The raw methods stay reachable as `_raw_<name>`.

/* exported _init, valueToVariant, paramsToVariant, paramRowsToVariant, rowsToObjects */

const {GLib, Gio} = imports.gi;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function describe(value) {
    if (value === null)
        return 'null';
    if (typeof value !== 'object')
        return typeof value;
    return value.constructor?.name ?? 'Object';
}

// One JS value as the GLib.Variant dbpool binds; `where` names it in errors.
function valueToVariant(value, where) {
    if (value instanceof GLib.Variant)
        return value;
    switch (typeof value) {
    case 'string':
        return new GLib.Variant('s', value);
    case 'boolean':
        return new GLib.Variant('b', value);
    case 'number':
        if (Number.isNaN(value))
            throw new TypeError(`${where}: NaN cannot be bound (SQLite would store NULL; pass null)`);
        // 1 and 1.0 are the same JS number: a whole number is an INTEGER. A REAL
        // that happens to be whole needs new GLib.Variant('d', x).
        return Number.isSafeInteger(value)
            ? new GLib.Variant('x', value) : new GLib.Variant('d', value);
    case 'bigint':
        if (value < INT64_MIN || value > INT64_MAX)
            throw new RangeError(`${where}: ${value} does not fit in a 64-bit SQLite integer`);
        return new GLib.Variant('x', value);
    case 'undefined':
        throw new TypeError(`${where} is undefined (use null for SQL NULL)`);
    }
    if (value === null)
        return new GLib.Variant('mv', null);
    if (value instanceof Uint8Array)
        return new GLib.Variant('ay', value);
    if (value instanceof GLib.Bytes)
        return GLib.Variant.new_from_bytes(new GLib.VariantType('ay'), value, true);
    throw new TypeError(`${where}: cannot bind a value of type ${describe(value)} (use a ` +
        'number, BigInt, string, boolean, null, Uint8Array, GLib.Bytes or GLib.Variant)');
}

function isPlainObject(value) {
    if (value === null || typeof value !== 'object')
        return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
}

function namedEntries(params) {
    const entries = {};
    for (const [name, value] of Object.entries(params))
        entries[name] = valueToVariant(value, `parameter "${name}"`);
    return entries;
}

// Statement parameters as the GVariant dbpool expects: an Array becomes a tuple (for
// `?`), a plain object `a{sv}` (for `:name`); null and GLib.Variant pass through.
function paramsToVariant(params) {
    if (params === null || params === undefined || params instanceof GLib.Variant)
        return params ?? null;
    if (Array.isArray(params))
        return GLib.Variant.new_tuple(params.map((v, i) => valueToVariant(v, `parameter ${i + 1}`)));
    if (isPlainObject(params))
        return new GLib.Variant('a{sv}', namedEntries(params));
    throw new TypeError(`params must be an Array, a plain object, a GLib.Variant or null, ` +
        `not ${describe(params)}`);
}

// Batch rows: an Array of Arrays becomes "av" of tuples (rows may differ in types), an
// Array of plain objects "aa{sv}".
function paramRowsToVariant(rows) {
    if (rows instanceof GLib.Variant)
        return rows;
    if (!Array.isArray(rows))
        throw new TypeError(`rows must be an Array of Arrays or of plain objects, not ${describe(rows)}`);
    const named = rows.length > 0 && isPlainObject(rows[0]);
    const out = rows.map((row, i) => {
        if (named ? !isPlainObject(row) : !Array.isArray(row)) {
            throw new TypeError(`row ${i}: ${Array.isArray(row) || isPlainObject(row)
                ? 'rows must be all Arrays (for ?) or all plain objects (for :name), not a mix'
                : `each row must be an Array or a plain object, not ${describe(row)}`}`);
        }
        try {
            return named ? namedEntries(row) : paramsToVariant(row);
        } catch (e) {
            e.message = `row ${i}: ${e.message}`;
            throw e;
        }
    });
    return named ? new GLib.Variant('aa{sv}', out) : new GLib.Variant('av', out);
}

// A column value of a row's a{sv} as a JS value.
function columnValue(variant) {
    switch (variant.get_type_string()) {
    case 'x': {
        // get_int64() would round beyond 2^53 (and warn): the printed form is exact.
        const n = BigInt(variant.print(false));
        return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
    }
    default:
        // 'd' a Number, 's' a string, 'ay' a Uint8Array.
        return variant.deepUnpack();
    }
}

function rowObject(rows, columns, row) {
    const object = {};
    // NULL columns are absent from the row's a{sv}: they are null, in column order.
    for (const name of columns)
        object[name] = null;
    const entries = rows.get_row_variant(row);
    for (let i = 0; i < entries.n_children(); i++) {
        const entry = entries.get_child_value(i);
        object[entry.get_child_value(0).get_string()[0]] =
            columnValue(entry.get_child_value(1).get_variant());
    }
    return object;
}

function rowsToObjects(rows) {
    const columns = rows.columns;
    const out = [];
    for (let r = 0; r < rows.get_n_rows(); r++)
        out.push(rowObject(rows, columns, r));
    return out;
}

// Replaces proto[name] by `wrap(raw)`, keeping the raw one as `_raw_<name>`.
function wrapMethod(proto, name, wrap) {
    const raw = proto[name];
    if (raw === undefined || proto[`_raw_${name}`] !== undefined)
        return;
    proto[`_raw_${name}`] = raw;
    proto[name] = wrap(raw);
}

// Gio._promisify decides between callback and Promise by the argument count, so each
// wrapper declares exactly the raw method's in-arguments.
function overridePool(DbPool) {
    const proto = DbPool.Pool.prototype;
    wrapMethod(proto, 'execute_async', raw => function (sql, params, cancellable, callback) {
        return raw.call(this, sql, paramsToVariant(params), cancellable, callback);
    });
    wrapMethod(proto, 'query_async', raw => function (sql, params, cancellable, callback) {
        return raw.call(this, sql, paramsToVariant(params), cancellable, callback);
    });
    wrapMethod(proto, 'execute_batch_async', raw => function (sql, rows, cancellable, callback) {
        return raw.call(this, sql, paramRowsToVariant(rows), cancellable, callback);
    });
    for (const name of ['execute', 'query']) {
        wrapMethod(DbPool.Connection.prototype, name, raw => function (sql, params) {
            return raw.call(this, sql, paramsToVariant(params));
        });
    }
}

function overrideRows(DbPool) {
    const proto = DbPool.Rows.prototype;
    Object.defineProperties(proto, {
        columns: {
            get() {
                const names = [];
                for (let c = 0; c < this.get_n_columns(); c++)
                    names.push(this.get_column_name(c));
                return names;
            },
            configurable: true,
        },
        length: {
            get() {
                return this.get_n_rows();
            },
            configurable: true,
        },
    });
    proto.at = function (index) {
        const n = this.get_n_rows();
        const row = index < 0 ? index + n : index;
        if (!Number.isInteger(row) || row < 0 || row >= n)
            return undefined;
        return rowObject(this, this.columns, row);
    };
    proto.toObjects = function () {
        return rowsToObjects(this);
    };
    proto.toArrays = function () {
        const columns = this.columns;
        return rowsToObjects(this).map(row => columns.map(name => row[name]));
    };
    proto[Symbol.iterator] = function* () {
        const columns = this.columns;
        for (let r = 0; r < this.get_n_rows(); r++)
            yield rowObject(this, columns, r);
    };
}

const PROMISES = {
    Pool: ['acquire_async', 'execute_async', 'query_async', 'execute_batch_async',
        'close_async'],
    HistoryStorage: ['record_snapshot_async', 'record_lsp_json_async',
        'get_file_history_async', 'get_latest_async', 'get_snapshot_async',
        'list_latest_async', 'get_trend_async', 'cleanup_async'],
};

function addPromises(DbPool) {
    for (const [type, names] of Object.entries(PROMISES)) {
        const klass = DbPool[type];
        if (klass === undefined)
            continue;
        for (const name of names) {
            if (klass.prototype[name] !== undefined)
                Gio._promisify(klass.prototype, name);
        }
        Gio._promisify(klass, 'new_async', 'new_finish');
    }
}

function _init() {
    // `this` is the DbPool namespace being loaded.
    overridePool(this);
    overrideRows(this);
    addPromises(this);
    this.valueToVariant = valueToVariant;
    this.paramsToVariant = paramsToVariant;
    this.paramRowsToVariant = paramRowsToVariant;
}
