package storage

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNoAccount is returned for a change to an account that is no longer in
// the database (another process disconnected it).
var ErrNoAccount = errors.New("the account is no longer in the database")

// ErrAccountExists is returned when inserting an id that is taken.
var ErrAccountExists = errors.New("an account with this id exists already")

// Row is an account's row: its record and the bookkeeping of its token.
// The keychain holds the token under the account and Generation; Pending,
// when higher, is a generation a refresh was about to write (it names the
// refresh in flight, and a crash leaves it behind). Sync is a marker the
// accounts service compares to learn, without reading the keychain, that
// another process changed the token. Version goes up with every write.
type Row struct {
	Record
	Version    int64
	Generation int64
	Pending    int64
	Sync       string
}

// TokenState is a row's token bookkeeping.
type TokenState struct {
	Generation int64
	Pending    int64
	Sync       string
	Version    int64
}

// TimelineKeep bounds a timeline: the newest All entries, of which at most
// Routine are routine (successful exchanges repeat every refresh).
type TimelineKeep struct{ All, Routine int }

func encodeRecord(r Record) (string, error) {
	r.Timeline = nil
	b, err := json.Marshal(r)
	return string(b), err
}

func insertAccount(tx *sql.Tx, r Record, gen int64, sync string) error {
	if r.ID == "" {
		return errors.New("storage: account without an id")
	}
	data, err := encodeRecord(r)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO accounts(id, provider, generation, sync, data) VALUES(?, ?, ?, ?, ?)`, r.ID, r.Provider, gen, sync, data)
	if isConstraint(err) {
		return fmt.Errorf("account %s: %w", r.ID, ErrAccountExists)
	}
	return err
}

const (
	sqlInsertEntry = `INSERT INTO timeline(account_id, routine, entry) VALUES(?, ?, ?)`
	sqlTrimRoutine = `DELETE FROM timeline WHERE account_id = ?1 AND routine = 1 AND seq <
		(SELECT seq FROM timeline WHERE account_id = ?1 AND routine = 1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)`
	sqlTrimAll = `DELETE FROM timeline WHERE account_id = ?1 AND seq <
		(SELECT seq FROM timeline WHERE account_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)`
	sqlUpdateRecord  = `UPDATE accounts SET data = ?, version = version + 1 WHERE id = ?`
	sqlAccountExists = `SELECT 1 FROM accounts WHERE id = ?`
)

func insertEntries(tx *sql.Tx, id string, entries []TimelineEntry) error {
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(sqlInsertEntry, id, e.Routine, string(b)); err != nil {
			return err
		}
	}
	return nil
}

// trimTimeline keeps the newest entries within keep.
func trimTimeline(tx *sql.Tx, id string, keep TimelineKeep) error {
	if keep.Routine > 0 {
		if _, err := tx.Exec(sqlTrimRoutine, id, keep.Routine-1); err != nil {
			return err
		}
	}
	if keep.All > 0 {
		if _, err := tx.Exec(sqlTrimAll, id, keep.All-1); err != nil {
			return err
		}
	}
	return nil
}

const rowColumns = `id, version, generation, pending, sync, data`

func scanRow(sc interface{ Scan(...any) error }) (Row, error) {
	var r Row
	var id, data string
	if err := sc.Scan(&id, &r.Version, &r.Generation, &r.Pending, &r.Sync, &data); err != nil {
		return Row{}, err
	}
	if err := json.Unmarshal([]byte(data), &r.Record); err != nil {
		return Row{}, fmt.Errorf("account %s: the stored record is damaged: %w", id, err)
	}
	r.ID = id
	return r, nil
}

// Accounts returns every account's row (without timelines), by id.
func (d *DB) Accounts() ([]Row, error) {
	rows, err := d.sql.Query(`SELECT ` + rowColumns + ` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Account returns one account's row; ok is false when there is none.
func (d *DB) Account(id string) (Row, bool, error) {
	r, err := scanRow(d.sql.QueryRow(`SELECT `+rowColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Row{}, false, nil
	}
	if err != nil {
		return Row{}, false, d.classify(err)
	}
	return r, true, nil
}

// InsertAccount adds a new account whose token the keychain holds at gen,
// with its first timeline entries, in one transaction. It fails with
// ErrAccountExists when the id is taken.
func (d *DB) InsertAccount(r Record, gen int64, sync string, entries []TimelineEntry, keep TimelineKeep) error {
	return d.tx(func(tx *sql.Tx) error {
		if err := insertAccount(tx, r, gen, sync); err != nil {
			return err
		}
		if err := insertEntries(tx, r.ID, entries); err != nil {
			return err
		}
		return trimTimeline(tx, r.ID, keep)
	})
}

// Token bookkeeping statements, prepared once: they run on every token
// request and refresh. Each is one statement in its own implicit
// transaction.
const (
	sqlTokenState    = `SELECT generation, pending, sync, version FROM accounts WHERE id = ?`
	sqlSetTokenState = `UPDATE accounts SET generation = ?, pending = ?, sync = ?, version = version + 1 WHERE id = ?
		RETURNING generation, pending, sync, version`
	sqlBeginRefresh = `UPDATE accounts SET pending = generation + 1, sync = ?, version = version + 1 WHERE id = ?
		RETURNING generation, pending, sync, version`
	sqlEndRefresh = `UPDATE accounts SET pending = 0, version = version + 1 WHERE id = ? AND pending <> 0`
	sqlSetSync    = `UPDATE accounts SET sync = ?, version = version + 1 WHERE id = ?
		RETURNING generation, pending, sync, version`
)

// stmts are the prepared token statements.
type stmts struct {
	tokenState, setTokenState, beginRefresh, endRefresh, setSync, dataVersion *sql.Stmt
	// UpdateAccounts' statements, bound to its transaction with Tx.Stmt.
	updateRecord, accountExists, insertEntry, trimRoutine, trimAll *sql.Stmt
}

func (d *DB) prepare() error {
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&d.st.tokenState, sqlTokenState}, {&d.st.setTokenState, sqlSetTokenState},
		{&d.st.beginRefresh, sqlBeginRefresh}, {&d.st.endRefresh, sqlEndRefresh}, {&d.st.setSync, sqlSetSync},
		{&d.st.dataVersion, `PRAGMA data_version`},
		{&d.st.updateRecord, sqlUpdateRecord}, {&d.st.accountExists, sqlAccountExists},
		{&d.st.insertEntry, sqlInsertEntry}, {&d.st.trimRoutine, sqlTrimRoutine}, {&d.st.trimAll, sqlTrimAll},
	} {
		st, err := d.sql.Prepare(p.sql)
		if err != nil {
			return d.classify(err)
		}
		*p.st = st
	}
	return nil
}

// tokenRow reads the bookkeeping a statement returns; no row means the
// account is gone.
func (d *DB) tokenRow(id string, row *sql.Row) (TokenState, error) {
	var ts TokenState
	err := row.Scan(&ts.Generation, &ts.Pending, &ts.Sync, &ts.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return TokenState{}, fmt.Errorf("account %s: %w", id, ErrNoAccount)
	}
	if err != nil {
		return TokenState{}, d.writeErr(err)
	}
	return ts, nil
}

// TokenState returns the account's token bookkeeping. It wraps
// ErrNoAccount when the account is gone.
func (d *DB) TokenState(id string) (TokenState, error) {
	return d.tokenRow(id, d.st.tokenState.QueryRow(id))
}

// SetTokenState records the account's token bookkeeping and returns it as
// stored. The caller holds the account's lock. It wraps ErrNoAccount when
// the account is gone: a process holding a stale copy cannot bring it back.
func (d *DB) SetTokenState(id string, gen, pending int64, sync string) (TokenState, error) {
	return d.tokenRow(id, d.st.setTokenState.QueryRow(gen, pending, sync, id))
}

// beginRefresh sets the pending generation to the next one, with sync.
func (d *DB) beginRefresh(id, sync string) (TokenState, error) {
	return d.tokenRow(id, d.st.beginRefresh.QueryRow(sync, id))
}

// endRefresh clears the pending generation, if any.
func (d *DB) endRefresh(id string) error {
	_, err := d.st.endRefresh.Exec(id)
	if err != nil {
		return d.writeErr(err)
	}
	return nil
}

// setSync changes the marker alone.
func (d *DB) setSync(id, sync string) (TokenState, error) {
	return d.tokenRow(id, d.st.setSync.QueryRow(sync, id))
}

// RecordUpdate is a change to one account: its record (nil: unchanged) and
// timeline entries to append.
type RecordUpdate struct {
	Record  *Record
	Entries []TimelineEntry
}

// UpdateAccounts writes records and appends timeline entries, all in one
// transaction. It only updates: an account that is no longer in the
// database is not written and its id is returned in gone.
func (d *DB) UpdateAccounts(updates map[string]RecordUpdate, keep TimelineKeep) (gone []string, err error) {
	err = d.tx(func(tx *sql.Tx) error {
		gone = gone[:0]
		upd, exists := tx.Stmt(d.st.updateRecord), tx.Stmt(d.st.accountExists)
		ins, trimR, trimA := tx.Stmt(d.st.insertEntry), tx.Stmt(d.st.trimRoutine), tx.Stmt(d.st.trimAll)
		for id, u := range updates {
			if u.Record != nil {
				data, err := encodeRecord(*u.Record)
				if err != nil {
					return err
				}
				res, err := upd.Exec(data, id)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					gone = append(gone, id)
					continue
				}
			} else if err := exists.QueryRow(id).Scan(new(int)); errors.Is(err, sql.ErrNoRows) {
				gone = append(gone, id)
				continue
			} else if err != nil {
				return err
			}
			if len(u.Entries) == 0 {
				continue
			}
			routine := false
			for _, e := range u.Entries {
				b, err := json.Marshal(e)
				if err != nil {
					return err
				}
				if _, err := ins.Exec(id, e.Routine, string(b)); err != nil {
					return err
				}
				routine = routine || e.Routine
			}
			if routine && keep.Routine > 0 {
				if _, err := trimR.Exec(id, keep.Routine-1); err != nil {
					return err
				}
			}
			if keep.All > 0 {
				if _, err := trimA.Exec(id, keep.All-1); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return gone, err
}

// DeleteAccount removes the account and its timeline. Removing one that is
// gone already is not an error.
func (d *DB) DeleteAccount(id string) error {
	return d.tx(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM accounts WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM timeline WHERE account_id = ?`, id)
		return err
	})
}

// Timeline returns the account's timeline, oldest first.
func (d *DB) Timeline(id string) ([]TimelineEntry, error) {
	rows, err := d.sql.Query(`SELECT entry FROM timeline WHERE account_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, d.classify(err)
	}
	defer rows.Close()
	var out []TimelineEntry
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var e TimelineEntry
		if err := json.NewDecoder(strings.NewReader(raw)).Decode(&e); err != nil {
			continue // one damaged entry does not hide the rest
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
