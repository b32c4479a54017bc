package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// RecordsFile is the records file earlier versions kept in the data
// directory; OpenDB imports it once (decodeRecords reads every format).
const RecordsFile = "records.json"

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
	var doc struct {
		Accounts []Record `json:"accounts"`
	}
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
