package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"sync"
	"time"
)

// SettingsFile is the settings file's name in the data directory.
const SettingsFile = "settings.json"

// settingsSchema is the settings file's format version.
const settingsSchema = 1

// SettingsData is the user's preferences and the providers' non-secret
// settings. Secrets (client secrets) never go here: they go to the keychain.
type SettingsData struct {
	Notifications  bool `json:"notifications"`
	StartMinimised bool `json:"start_minimised"`
	// Providers maps a provider id to its non-secret settings, such as
	// client_id or partnerId.
	Providers map[string]map[string]string `json:"providers,omitempty"`
}

// DefaultSettings are the settings before the user changes anything.
func DefaultSettings() SettingsData { return SettingsData{Notifications: true} }

func (d SettingsData) clone() SettingsData {
	c := d
	if d.Providers != nil {
		c.Providers = make(map[string]map[string]string, len(d.Providers))
		for k, v := range d.Providers {
			c.Providers[k] = maps.Clone(v)
		}
	}
	return c
}

type settingsDoc struct {
	Schema int `json:"schema"`
	SettingsData
}

// Settings is the settings file. Get sees changes other processes made;
// Update is a read-modify-write under a cross-process lock.
type Settings struct {
	f *jsonFile

	mu    sync.Mutex
	cur   SettingsData
	stamp fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

// OpenSettings reads the settings file of a data directory. A missing file
// gives the defaults. A damaged one gives a usable *Settings holding the
// defaults together with a *CorruptError (a copy is kept aside), and
// Update refuses until the user restores it or calls DiscardCorrupt.
func OpenSettings(dataDir string) (*Settings, error) {
	f, err := newJSONFile(dataDir, SettingsFile)
	if err != nil {
		return nil, err
	}
	s := &Settings{f: f, cur: DefaultSettings()}
	d, st, err := s.load()
	if err != nil {
		return s, err
	}
	s.cur, s.stamp = d, st
	return s, nil
}

// Path returns the settings file's path.
func (s *Settings) Path() string { return s.f.path }

// Get returns the current settings, re-reading the file when another
// process changed it. If the file became unreadable it returns the last
// good settings.
func (s *Settings) Get() SettingsData {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := statFile(s.f.path); st != s.stamp {
		if d, st2, err := s.load(); err == nil {
			s.cur, s.stamp = d, st2
		}
	}
	return s.cur.clone()
}

// Update applies fn to the current settings and writes them atomically.
// It refuses provider settings whose names say they are secrets.
func (s *Settings) Update(fn func(*SettingsData)) error {
	return s.f.locked(func() error {
		d, _, err := s.load()
		if err != nil {
			return err
		}
		fn(&d)
		for p, kv := range d.Providers {
			for k := range kv {
				if looksSecret(k) {
					return fmt.Errorf("settings: %s.%s looks like a secret; secrets belong in the keychain", p, k)
				}
			}
		}
		data, err := json.MarshalIndent(settingsDoc{Schema: settingsSchema, SettingsData: d}, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFileAtomic(s.f.path, append(data, '\n')); err != nil {
			return err
		}
		s.mu.Lock()
		s.cur, s.stamp = d.clone(), statFile(s.f.path)
		s.mu.Unlock()
		return nil
	})
}

// DiscardCorrupt moves a damaged settings file aside (it stays at the
// returned backup path); the next Update starts from the defaults.
func (s *Settings) DiscardCorrupt() (backup string, err error) {
	return s.f.discard(func(b []byte) error { _, err := decodeSettings(b); return err })
}

func looksSecret(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "secret") || strings.Contains(k, "password")
}

func (s *Settings) load() (SettingsData, fileStamp, error) {
	st := statFile(s.f.path)
	data, ok, err := s.f.read()
	if err != nil {
		return SettingsData{}, st, err
	}
	if !ok {
		return DefaultSettings(), st, nil
	}
	d, err := decodeSettings(data)
	var se *SchemaError
	if errors.As(err, &se) {
		se.Path = s.f.path
		return SettingsData{}, st, se
	}
	if err != nil {
		return SettingsData{}, st, s.f.corrupt(data, err)
	}
	return d, st, nil
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

func statFile(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), ok: true}
}
