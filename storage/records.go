package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// RecordsFile is the records file's name in the data directory.
const RecordsFile = "records.json"

// Records is the account records file: {"schema": N, "accounts": [...]}.
// Readers see whole files only (writes are atomic renames); Update is a
// read-modify-write under a cross-process lock. Safe for concurrent use.
type Records struct {
	f *jsonFile
}

// recordsDoc is the file's current layout.
type recordsDoc struct {
	Schema   int      `json:"schema"`
	Accounts []Record `json:"accounts"`
}

// OpenRecords returns the records file of a data directory, creating the
// directory if needed. It does not read the file: Load and Update report a
// damaged one, so the app can start and say so.
func OpenRecords(dataDir string) (*Records, error) {
	f, err := newJSONFile(dataDir, RecordsFile)
	if err != nil {
		return nil, err
	}
	return &Records{f: f}, nil
}

// Path returns the records file's path.
func (r *Records) Path() string { return r.f.path }

// Load returns the records in file order; a missing file is an empty list.
// A damaged file gives a *CorruptError (a copy is kept aside), a file from
// a newer version a *SchemaError; neither is ever treated as empty.
func (r *Records) Load() ([]Record, error) {
	recs, _, err := r.load()
	return recs, err
}

func (r *Records) load() ([]Record, int, error) {
	data, ok, err := r.f.read()
	if err != nil || !ok {
		return nil, SchemaVersion, err
	}
	recs, schema, err := decodeRecords(data)
	var se *SchemaError
	if errors.As(err, &se) {
		se.Path = r.f.path
		return nil, schema, se
	}
	if err != nil {
		return nil, schema, r.f.corrupt(data, err)
	}
	return recs, schema, nil
}

// Update reads the records, passes them to fn and writes fn's result
// atomically, all under the records lock, so concurrent updates from this
// and other processes never lose each other's changes. If fn returns an
// error nothing is written. On a damaged or newer file Update refuses
// (returning the *CorruptError or *SchemaError) rather than replace what
// the user may still recover.
func (r *Records) Update(fn func([]Record) ([]Record, error)) error {
	return r.f.locked(func() error {
		recs, schema, err := r.load()
		if err != nil {
			return err
		}
		out, err := fn(recs)
		if err != nil {
			return err
		}
		if err := validateRecords(out); err != nil {
			return err
		}
		data, err := encodeRecords(out)
		if err != nil {
			return err
		}
		if schema < SchemaVersion {
			// First write after a migration: keep the old file, once.
			if old, ok, _ := r.f.read(); ok {
				name := fmt.Sprintf("%s.schema%d", r.f.path, schema)
				if _, err := os.Stat(name); err != nil {
					if err := writeFileAtomic(name, old); err != nil {
						return fmt.Errorf("cannot keep a copy of the old-format %s before upgrading it: %w", r.f.path, err)
					}
				}
			}
		}
		return writeFileAtomic(r.f.path, data)
	})
}

// DiscardCorrupt moves a damaged records file aside (it stays at the
// returned backup path) so that the next Update starts an empty list. This
// is for an explicit "start over" by the user; it refuses a file that
// decodes fine.
func (r *Records) DiscardCorrupt() (backup string, err error) {
	return r.f.discard(func(b []byte) error { _, _, err := decodeRecords(b); return err })
}

func encodeRecords(recs []Record) ([]byte, error) {
	if recs == nil {
		recs = []Record{}
	}
	data, err := json.MarshalIndent(recordsDoc{Schema: SchemaVersion, Accounts: recs}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func validateRecords(recs []Record) error {
	seen := make(map[string]bool, len(recs))
	for i, r := range recs {
		if r.ID == "" {
			return fmt.Errorf("records: account %d has no id", i)
		}
		if seen[r.ID] {
			return fmt.Errorf("records: account id %q appears twice", r.ID)
		}
		seen[r.ID] = true
	}
	return nil
}

// decodeRecords parses any known schema, migrating older ones in memory.
// It returns the schema the file had.
func decodeRecords(data []byte) ([]Record, int, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, 0, errors.New("the file is empty")
	}
	schema := 0
	if data[0] == '{' {
		var probe struct {
			Schema *int `json:"schema"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, 0, err
		}
		if probe.Schema != nil {
			schema = *probe.Schema
		}
	}
	if schema > SchemaVersion {
		return nil, schema, &SchemaError{Found: schema, Known: SchemaVersion}
	}
	if schema < 0 {
		return nil, schema, fmt.Errorf("invalid schema %d", schema)
	}
	for v := schema; v < SchemaVersion; v++ {
		var err error
		if data, err = migrations[v](data); err != nil {
			return nil, schema, fmt.Errorf("upgrading from format %d: %w", v, err)
		}
	}
	var doc recordsDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, schema, err
	}
	if dec.More() {
		return nil, schema, errors.New("unexpected data after the accounts")
	}
	if err := validateRecords(doc.Accounts); err != nil {
		return nil, schema, err
	}
	return doc.Accounts, schema, nil
}

// migrations[v] turns a format-v file into a format-v+1 file. They work on
// generic JSON so that fields this build does not know survive.
var migrations = map[int]func([]byte) ([]byte, error){
	0: migrate0to1,
}

// migrate0to1 upgrades the prototype's files: no "schema" field, either a
// bare array of accounts or {"accounts": [...]}, with the refresh token's
// end as "reconnect_by" and no status.
func migrate0to1(data []byte) ([]byte, error) {
	var accounts []map[string]any
	if data[0] == '[' {
		if err := json.Unmarshal(data, &accounts); err != nil {
			return nil, err
		}
	} else {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		if raw, ok := doc["accounts"]; ok {
			if err := json.Unmarshal(raw, &accounts); err != nil {
				return nil, err
			}
		}
	}
	for _, a := range accounts {
		if a == nil {
			return nil, errors.New("null account")
		}
		if v, ok := a["reconnect_by"]; ok {
			if _, has := a["refresh_expiry"]; !has {
				a["refresh_expiry"] = v
			}
			delete(a, "reconnect_by")
		}
		if _, ok := a["status"]; !ok {
			a["status"] = "connected"
		}
	}
	if accounts == nil {
		accounts = []map[string]any{}
	}
	return json.Marshal(map[string]any{"schema": 1, "accounts": accounts})
}
