# Writes a synthetic catalog.db of N files (no files on disk) for bench/startup.sh: python3 synthetic-catalog.py N LIBRARY
# The schema is catalog schema version 2 (src/MediaFleet.Library/Catalog/CatalogSchema.cs).
import sqlite3, os, sys, hashlib, random
n=int(sys.argv[1]); d=sys.argv[2]
os.makedirs(d+'/.mfleet',exist_ok=True)
db=sqlite3.connect(d+'/.mfleet/catalog.db')
db.executescript('''PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS changes(version INTEGER PRIMARY KEY, op TEXT NOT NULL, path TEXT NOT NULL, to_path TEXT, sha256 TEXT, size INTEGER, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, version INTEGER NOT NULL, mtime INTEGER NOT NULL, verified_at TEXT, state TEXT NOT NULL DEFAULT 'ok') WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS missing(path TEXT PRIMARY KEY, version INTEGER NOT NULL, sha256 TEXT, reason TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_try_at TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS intents(id INTEGER PRIMARY KEY, op TEXT NOT NULL, path TEXT NOT NULL, to_path TEXT, sha256 TEXT, size INTEGER, version INTEGER);
CREATE INDEX IF NOT EXISTS files_sha256 ON files(sha256);
PRAGMA user_version=2;''')
def rows():
    for i in range(n):
        p=f"Music/Artist {i//1000:04d}/Album {i//100%10}/{i%100:02d} Track title number {i}.flac"
        yield (p, hashlib.sha256(p.encode()).hexdigest(), 4096, i+1, 1764633600000, '2026-12-01T00:00:00.000Z', 'ok')
db.executemany("INSERT INTO files VALUES (?,?,?,?,?,?,?)", rows())
db.execute("INSERT INTO meta VALUES('data_version',?)",(str(n),))
db.execute("INSERT INTO meta VALUES('seen_version',?)",(str(n),))
db.commit()
