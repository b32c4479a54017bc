package storage

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Get(); !got.Notifications || got.StartMinimised || got.Providers != nil {
		t.Fatalf("defaults: %+v", got)
	}
	err = s.Update(func(d *SettingsData) {
		d.StartMinimised = true
		d.Providers = map[string]map[string]string{"vaultist": {"partnerId": "1234", "client_id": "test-client"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Get()
	if !got.StartMinimised || got.Providers["vaultist"]["partnerId"] != "1234" {
		t.Fatalf("after Update: %+v", got)
	}
	// Get returns a copy.
	got.Providers["vaultist"]["partnerId"] = "changed"
	if s.Get().Providers["vaultist"]["partnerId"] != "1234" {
		t.Fatal("Get shares its maps")
	}
	if fi, _ := os.Stat(s.Path()); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}

	// Another process (here: another handle) changes the file; Get sees it.
	other, err := OpenSettings(dir)
	if err != nil || !other.Get().StartMinimised {
		t.Fatalf("second handle: %+v %v", other.Get(), err)
	}
	if err := other.Update(func(d *SettingsData) { d.Notifications = false }); err != nil {
		t.Fatal(err)
	}
	if got := s.Get(); got.Notifications || !got.StartMinimised {
		t.Fatalf("change from another handle not seen: %+v", got)
	}

	// Secrets are refused.
	err = s.Update(func(d *SettingsData) { d.Providers["depop"] = map[string]string{"client_secret": "x"} })
	if err == nil {
		t.Fatal("a client secret was written to the settings file")
	}
	if _, ok := s.Get().Providers["depop"]; ok {
		t.Fatal("refused update visible")
	}
}

func TestSettingsCorrupt(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenSettings(dir)
	if err := s.Update(func(d *SettingsData) { d.StartMinimised = true }); err != nil {
		t.Fatal(err)
	}
	bad := []byte(`{"schema":1,"notifications":tru`)
	os.WriteFile(s.Path(), bad, 0o600)

	s2, err := OpenSettings(dir)
	var ce *CorruptError
	if !errors.As(err, &ce) || s2 == nil {
		t.Fatalf("want a usable *Settings and a *CorruptError, got %v, %v", s2, err)
	}
	if got := s2.Get(); !got.Notifications {
		t.Fatalf("corrupt settings should give defaults, got %+v", got)
	}
	if err := s2.Update(func(d *SettingsData) {}); !errors.As(err, &ce) {
		t.Fatalf("Update on corrupt settings: %v", err)
	}
	if now, _ := os.ReadFile(s.Path()); !bytes.Equal(now, bad) {
		t.Fatal("damaged settings overwritten")
	}
	if _, err := s2.DiscardCorrupt(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Update(func(d *SettingsData) { d.StartMinimised = true }); err != nil {
		t.Fatal(err)
	}
	// The older handle keeps its last good view until the file is good again.
	if got := s.Get(); !got.StartMinimised {
		t.Fatalf("%+v", got)
	}
}

func TestSettingsNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenSettings(dir)
	os.WriteFile(s.Path(), []byte(`{"schema":5}`), 0o600)
	_, err := OpenSettings(dir)
	var se *SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("want *SchemaError, got %v", err)
	}
}
