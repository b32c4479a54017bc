package storage

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
)

// SettingsFile is the settings file earlier versions kept in the data
// directory; OpenDB imports it once.
const SettingsFile = "settings.json"

// settingsSchema is the settings file's format version.
const settingsSchema = 1

// SettingsData is the user's preferences and the providers' non-secret
// settings. Secrets (client secrets) never go here: they go to the keychain.
type SettingsData struct {
	StartMinimised bool `json:"start_minimised"`
	// LogLevel is the log's level: debug, info (the default), warn, error.
	LogLevel string `json:"log_level,omitempty"`
	// Providers maps a provider id to its non-secret settings, such as
	// client_id or partnerId.
	Providers map[string]map[string]string `json:"providers,omitempty"`
	// Endpoints maps a provider id to the origins (scheme://host) its
	// secrets may go to, by role (token, revoke, test): the ones the seller
	// confirmed or entered credentials for.
	Endpoints map[string]map[string]string `json:"endpoints,omitempty"`
}

// DefaultSettings are the settings before the user changes anything.
func DefaultSettings() SettingsData { return SettingsData{} }

func (d SettingsData) clone() SettingsData {
	c := d
	c.Providers = cloneNested(d.Providers)
	c.Endpoints = cloneNested(d.Endpoints)
	return c
}

func cloneNested(m map[string]map[string]string) map[string]map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]map[string]string, len(m))
	for k, v := range m {
		c[k] = maps.Clone(v)
	}
	return c
}

type settingsDoc struct {
	Schema int `json:"schema"`
	SettingsData
}

// settingsKey is the settings row.
const settingsKey = "app"

// Settings are the settings kept in the database. Get sees changes other
// processes made; Update is one transaction.
type Settings struct {
	db *DB

	mu  sync.Mutex
	cur SettingsData
	raw string
}

// Settings returns the database's settings.
func (d *DB) Settings() *Settings { return &Settings{db: d, cur: DefaultSettings()} }

// Get returns the current settings. If the database cannot be read it
// returns the last good settings.
func (s *Settings) Get() SettingsData {
	s.mu.Lock()
	defer s.mu.Unlock()
	var raw string
	err := s.db.sql.QueryRow(`SELECT value FROM settings WHERE key = ?`, settingsKey).Scan(&raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		s.cur, s.raw = DefaultSettings(), ""
	case err == nil && raw != s.raw:
		if d, derr := decodeSettings([]byte(raw)); derr == nil {
			s.cur, s.raw = d, raw
		}
	}
	return s.cur.clone()
}

// Update applies fn to the current settings and stores them in one
// transaction. It refuses provider settings whose names say they are
// secrets.
func (s *Settings) Update(fn func(*SettingsData)) error {
	return s.db.tx(func(tx *sql.Tx) error {
		d := DefaultSettings()
		var raw string
		err := tx.QueryRow(`SELECT value FROM settings WHERE key = ?`, settingsKey).Scan(&raw)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if d, err = decodeSettings([]byte(raw)); err != nil {
				return fmt.Errorf("the stored settings cannot be read (%w); SellerConnect will not overwrite them", err)
			}
		}
		fn(&d)
		for p, kv := range d.Providers {
			for k := range kv {
				if looksSecret(k) {
					return fmt.Errorf("settings: %s.%s looks like a secret; secrets belong in the keychain", p, k)
				}
			}
		}
		return putSettings(tx, d)
	})
}

func putSettings(tx *sql.Tx, d SettingsData) error {
	data, err := json.Marshal(settingsDoc{Schema: settingsSchema, SettingsData: d})
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, settingsKey, string(data))
	return err
}

func looksSecret(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "secret") || strings.Contains(k, "password")
}

func decodeSettings(data []byte) (SettingsData, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return SettingsData{}, errors.New("the file is empty")
	}
	doc := settingsDoc{SettingsData: DefaultSettings()}
	if err := json.Unmarshal(data, &doc); err != nil {
		return SettingsData{}, err
	}
	if doc.Schema > settingsSchema {
		return SettingsData{}, &SchemaError{Found: doc.Schema, Known: settingsSchema}
	}
	return doc.SettingsData, nil
}
