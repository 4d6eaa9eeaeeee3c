namespace MediaFleet.Library.Catalog;

/// <summary>The tables of <c>catalog.db</c> (DESIGN.md section 2), as migrations numbered by <c>PRAGMA user_version</c>.</summary>
internal static class CatalogSchema
{
    /// <summary>The digest index: a put whose bytes the node already holds under another path is a local copy, found by digest.</summary>
    public const string DigestIndex = "CREATE INDEX IF NOT EXISTS " + DigestIndexName + " ON files(sha256)";

    public const string DigestIndexName = "files_sha256";

    /// <summary>Every migration, oldest first; never edit or reorder a released one.</summary>
    public static readonly IReadOnlyList<string> Migrations =
    [
        // 1: the tables. IF NOT EXISTS: catalogs made before schema versions have them (user_version 0).
        """
        CREATE TABLE IF NOT EXISTS changes(version INTEGER PRIMARY KEY, op TEXT NOT NULL, path TEXT NOT NULL,
            to_path TEXT, sha256 TEXT, size INTEGER, at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            version INTEGER NOT NULL, mtime INTEGER NOT NULL, verified_at TEXT, state TEXT NOT NULL DEFAULT 'ok') WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS missing(path TEXT PRIMARY KEY, version INTEGER NOT NULL, sha256 TEXT, reason TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_try_at TEXT) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS intents(id INTEGER PRIMARY KEY, op TEXT NOT NULL, path TEXT NOT NULL, to_path TEXT,
            sha256 TEXT, size INTEGER, version INTEGER)
        """,
        // 2: a put whose bytes the node already holds under another path is a local copy: found by digest, not by a scan.
        DigestIndex,
    ];
}
