package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DBFile is the database's name in the data directory.
const DBFile = "sellerconnect.db"

// DBSchema is the database schema this build writes (PRAGMA user_version).
const DBSchema = 1

// DB is the data directory's SQLite database, shared by every SellerConnect
// process on the machine (the window and each command): accounts, their
// timelines, settings and the Demo marketplace's grants. It runs in WAL mode,
// so readers never wait for a writer; every change is one transaction.
// Safe for concurrent use.
type DB struct {
	sql  *sql.DB
	path string

	st stmts

	// mu serialises data_version checks (one connection: see OpenDB).
	mu          sync.Mutex
	dataVersion int64 // as Changed last saw it
	dvNow       int64 // as DataVersion last read it, at dvAt
	dvAt        time.Time
}

// dataVersionEvery bounds how often DataVersion asks SQLite: token
// requests ask on every call, thousands a second.
const dataVersionEvery = 2 * time.Millisecond

// schemaSQL creates schema 1.
const schemaSQL = `
CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,
	provider   TEXT NOT NULL,
	version    INTEGER NOT NULL DEFAULT 1,
	generation INTEGER NOT NULL DEFAULT 0,
	pending    INTEGER NOT NULL DEFAULT 0,
	sync       TEXT NOT NULL DEFAULT '',
	data       TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE timeline (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id TEXT NOT NULL,
	routine    INTEGER NOT NULL DEFAULT 0,
	entry      TEXT NOT NULL
);
CREATE INDEX timeline_account ON timeline(account_id, seq);
CREATE INDEX timeline_routine ON timeline(account_id, routine, seq);
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE demo_grants (
	hash     TEXT PRIMARY KEY,
	kind     TEXT NOT NULL,
	grant_id TEXT NOT NULL,
	expires  INTEGER NOT NULL,
	data     TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX demo_grants_grant ON demo_grants(grant_id);
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
`

// busyWait is how long a statement waits for another process's write.
const busyWait = 10 * time.Second

// OpenDB opens (creating if needed) the database of a data directory and
// brings it to DBSchema. On first open it imports an existing records.json
// and settings.json once, keeping them as *.imported. A database written by
// a newer SellerConnect is refused (*SchemaError) without writing to it; a
// damaged one is copied aside and reported (*CorruptError), never replaced.
func OpenDB(dataDir string) (*DB, error) {
	if dataDir == "" {
		return nil, errors.New("storage: empty data directory")
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := ensureDir(abs); err != nil {
		return nil, err
	}
	path := filepath.Join(abs, DBFile)
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file; SellerConnect will not open it: move it away", path)
	}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyWait.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "1")
	// The file is created 0600 by SQLite's default umask handling only if
	// the process umask allows; create it first so its mode is ours.
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("cannot create the database %s: %w", path, err)
		}
		if f != nil {
			f.Close()
		}
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One connection: SQLite serialises writers anyway, and data_version
	// is per connection (it tells of other processes' commits only when
	// asked on the same one).
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	d := &DB{sql: db, path: path}
	if err := d.migrate(abs); err != nil {
		db.Close()
		return nil, err
	}
	if err := d.prepare(); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.sql.Close() }

// Path is the database file.
func (d *DB) Path() string { return d.path }

// migrate checks the schema and creates or upgrades it.
func (d *DB) migrate(dataDir string) error {
	var v int
	if err := d.sql.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return d.classify(err)
	}
	if v > DBSchema {
		return &SchemaError{Path: d.path, Found: v, Known: DBSchema}
	}
	if v == DBSchema {
		// A quick look that the file is what it claims to be.
		if err := d.sql.QueryRow(`SELECT count(*) FROM accounts`).Scan(new(int)); err != nil {
			return d.classify(err)
		}
		return nil
	}
	var imported []string
	err := d.tx(func(tx *sql.Tx) error {
		// Another process may have created it while we waited for the lock.
		if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
			return err
		}
		if v == DBSchema {
			return nil
		}
		if v != 0 {
			return fmt.Errorf("%s has unknown schema %d", d.path, v)
		}
		if _, err := tx.Exec(schemaSQL); err != nil {
			return err
		}
		for _, imp := range []func(*sql.Tx, string) (string, error){importRecords, importSettings} {
			name, err := imp(tx, dataDir)
			if err != nil {
				return err
			}
			if name != "" {
				imported = append(imported, name)
			}
		}
		_, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, DBSchema))
		return err
	})
	if err != nil {
		return err
	}
	// Renamed only once the import is committed, so a failed import leaves
	// the files to import next time.
	for _, name := range imported {
		if err := os.Rename(name, name+".imported"); err != nil {
			return fmt.Errorf("imported %s but cannot rename it to %s.imported: %w", name, filepath.Base(name), err)
		}
	}
	return nil
}

// classify turns SQLite's "not a database" and "malformed" into a
// *CorruptError with a copy of the file kept aside.
func (d *DB) classify(err error) error {
	if k := sqliteKind(err); k == kindCorrupt {
		backup := ""
		if data, rerr := os.ReadFile(d.path); rerr == nil {
			backup, _ = backupCorrupt(d.path, data)
		}
		return &CorruptError{Path: d.path, Backup: backup, Err: err}
	}
	return fmt.Errorf("database %s: %w", d.path, err)
}

// tx runs fn in one write transaction (BEGIN IMMEDIATE: the write lock is
// taken up front, so two processes never deadlock upgrading a read).
func (d *DB) tx(fn func(*sql.Tx) error) error {
	tx, err := d.sql.BeginTx(context.Background(), nil)
	if err != nil {
		return d.writeErr(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return d.writeErr(err)
	}
	if err := tx.Commit(); err != nil {
		return d.writeErr(err)
	}
	return nil
}

// writeErr names the database in errors and says what to do when the
// disk or the directory refuses.
func (d *DB) writeErr(err error) error {
	switch sqliteKind(err) {
	case kindReadonly:
		return &WriteError{Path: d.path, Err: err, Advice: "Check that the data directory and " + DBFile + " are writable by you."}
	case kindFull:
		return &WriteError{Path: d.path, Err: err, Advice: "Free some disk space."}
	case kindBusy:
		return &WriteError{Path: d.path, Err: err, Advice: "Another SellerConnect window or command held the database for too long; try again."}
	case kindCorrupt:
		return d.classify(err)
	}
	var we *WriteError
	if errors.As(err, &we) || errors.Is(err, ErrNoAccount) || errors.Is(err, ErrAccountExists) {
		return err
	}
	return fmt.Errorf("database %s: %w", d.path, err)
}

// WriteError is a change the database could not make.
type WriteError struct {
	Path   string
	Err    error
	Advice string
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("cannot write %s (%v). %s", e.Path, e.Err, e.Advice)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Changed reports whether another process committed to the database since
// the last call (PRAGMA data_version: no table is read).
func (d *DB) Changed() (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var v int64
	if err := d.sql.QueryRow(`PRAGMA data_version`).Scan(&v); err != nil {
		return false, err
	}
	changed := v != d.dataVersion
	d.dataVersion = v
	return changed, nil
}

// DataVersion is a number that changes whenever another process (another
// connection) commits to the database: SQLite's PRAGMA data_version, read
// at most every 2 ms and otherwise remembered. This process's own writes do
// not change it.
func (d *DB) DataVersion() (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if !d.dvAt.IsZero() && now.Sub(d.dvAt) < dataVersionEvery {
		return d.dvNow, nil
	}
	if err := d.st.dataVersion.QueryRow().Scan(&d.dvNow); err != nil {
		return 0, err
	}
	d.dvAt = now
	return d.dvNow, nil
}

// meta reads a value of the meta table ("" when missing).
func (d *DB) meta(key string) (string, error) {
	var v string
	err := d.sql.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// importRecords copies records.json into the new tables once. A damaged
// or newer file stops the import (and so the open): it is the user's data
// and stays where it is.
func importRecords(tx *sql.Tx, dataDir string) (string, error) {
	recs, path, err := readImport(filepath.Join(dataDir, RecordsFile), func(b []byte) ([]Record, error) {
		recs, _, err := decodeRecords(b)
		return recs, err
	})
	if err != nil || path == "" {
		return "", err
	}
	for _, r := range recs {
		// Generation 0 is the key earlier versions wrote ("account:ID").
		if err := insertAccount(tx, r, 0, ""); err != nil {
			return "", err
		}
		if err := insertEntries(tx, r.ID, r.Timeline); err != nil {
			return "", err
		}
	}
	_, err = tx.Exec(`INSERT OR REPLACE INTO meta(key, value) VALUES('imported_records', ?)`, time.Now().UTC().Format(time.RFC3339))
	return path, err
}

// importSettings copies settings.json into the settings table once.
func importSettings(tx *sql.Tx, dataDir string) (string, error) {
	sd, path, err := readImport(filepath.Join(dataDir, SettingsFile), decodeSettings)
	if err != nil || path == "" {
		return "", err
	}
	return path, putSettings(tx, sd)
}

// readImport reads and decodes a file of an earlier version; path is ""
// when there is none. A file written by a newer version is a
// *SchemaError, one that does not decode a *CorruptError with a copy kept
// aside.
func readImport[T any](path string, decode func([]byte) (T, error)) (v T, _ string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return v, "", nil
	}
	if err != nil {
		return v, "", fmt.Errorf("cannot read %s to import it (%w): check its permissions", path, err)
	}
	if v, err = decode(data); err != nil {
		var se *SchemaError
		if errors.As(err, &se) {
			se.Path = path
			return v, "", se
		}
		backup, _ := backupCorrupt(path, data)
		return v, "", &CorruptError{Path: path, Backup: backup, Err: err}
	}
	return v, path, nil
}

// isConstraint reports a uniqueness violation.
func isConstraint(err error) bool {
	return sqliteKind(err) == kindConstraint
}

// ConnectFailure is a connect attempt that did not end in an account (the
// seller denied, the provider refused, the attempt timed out): support
// needs these, as they leave no account behind. Redacted.
type ConnectFailure struct {
	Time     time.Time `json:"time"`
	Provider string    `json:"provider"`
	Kind     string    `json:"kind"`
	Message  string    `json:"message"`
}

// connectFailuresKept bounds the list, the newest kept.
const connectFailuresKept = 20

// AddConnectFailure records a failed connect attempt.
func (d *DB) AddConnectFailure(f ConnectFailure) error {
	return d.tx(func(tx *sql.Tx) error {
		var list []ConnectFailure
		var raw string
		err := tx.QueryRow(`SELECT value FROM meta WHERE key = 'connect_failures'`).Scan(&raw)
		if err == nil {
			_ = json.Unmarshal([]byte(raw), &list)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		list = append(list, f)
		if n := len(list); n > connectFailuresKept {
			list = list[n-connectFailuresKept:]
		}
		b, err := json.Marshal(list)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO meta(key, value) VALUES('connect_failures', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, string(b))
		return err
	})
}

// ConnectFailures returns the recorded failed connect attempts, oldest first.
func (d *DB) ConnectFailures() ([]ConnectFailure, error) {
	raw, err := d.meta("connect_failures")
	if err != nil || raw == "" {
		return nil, err
	}
	var list []ConnectFailure
	return list, json.Unmarshal([]byte(raw), &list)
}
