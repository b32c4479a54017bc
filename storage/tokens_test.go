package storage

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
)

// memSecrets is a keychain in memory whose writes can be made to fail.
type memSecrets struct {
	mu      sync.Mutex
	m       map[string]string
	failSet error
}

func (s *memSecrets) Get(k string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return nil, ErrNotFound
	}
	return []byte(v), nil
}

func (s *memSecrets) Set(k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSet != nil {
		return s.failSet
	}
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[k] = string(v)
	return nil
}

func (s *memSecrets) Delete(k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[k]; !ok {
		return ErrNotFound
	}
	delete(s.m, k)
	return nil
}

func (s *memSecrets) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.m))
}

func newTokens(t *testing.T) (*Tokens, *memSecrets) {
	sec := &memSecrets{}
	toks := &Tokens{DB: openTestDB(t, t.TempDir()), Secrets: sec}
	if err := toks.Create(sampleRecord("a", 1), []byte("v1"), nil, TimelineKeep{}); err != nil {
		t.Fatal(err)
	}
	return toks, sec
}

func load(t *testing.T, toks *Tokens) Loaded {
	t.Helper()
	l, err := toks.Load("a")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestTokensSaveIsTwoPhase(t *testing.T) {
	toks, sec := newTokens(t)
	if l := load(t, toks); string(l.Value) != "v1" || l.State.Generation != 1 || l.Adopted || l.Interrupted {
		t.Fatalf("created: %+v", l)
	}
	if _, err := toks.Begin("a", "r1"); err != nil {
		t.Fatal(err)
	}
	ts, err := toks.Save("a", []byte("v2"))
	if err != nil || ts.Generation != 2 || ts.Pending != 0 || ts.Sync != "" {
		t.Fatalf("Save: %+v %v", ts, err)
	}
	if got := sec.keys(); !slices.Equal(got, []string{"account:a#2"}) {
		t.Fatalf("keychain after save: %v", got)
	}
	if l := load(t, toks); string(l.Value) != "v2" {
		t.Fatalf("after save: %+v", l)
	}
}

func TestTokensKeychainRefusalChangesNothing(t *testing.T) {
	toks, sec := newTokens(t)
	sec.failSet = errors.New("locked")
	before, _ := toks.State("a")
	if _, err := toks.Save("a", []byte("v2")); err == nil {
		t.Fatal("a refused save succeeded")
	}
	after, _ := toks.State("a")
	if before != after {
		t.Fatalf("row changed: %+v → %+v", before, after)
	}
	if l := load(t, toks); string(l.Value) != "v1" {
		t.Fatalf("after a refused save: %+v", l)
	}
}

// A crash after the keychain took the rotated token but before the row
// named it: the next Load adopts it.
func TestTokensLoadAdoptsWhatACrashLeftUnnamed(t *testing.T) {
	toks, sec := newTokens(t)
	if _, err := toks.Begin("a", "r1"); err != nil {
		t.Fatal(err)
	}
	ts, _ := toks.State("a")
	if err := sec.Set(TokenKey("a", ts.Pending), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	l := load(t, toks)
	if string(l.Value) != "v2" || !l.Adopted || l.State.Generation != 2 || l.State.Pending != 0 {
		t.Fatalf("adopted: %+v", l)
	}
	if got := sec.keys(); !slices.Equal(got, []string{"account:a#2"}) {
		t.Fatalf("keychain after adoption: %v", got)
	}
	// The same with the pending mark lost too (a power cut rolled the
	// database back): the next generation is found all the same.
	sec.Set(TokenKey("a", 3), []byte("v3"))
	sec.Delete(TokenKey("a", 2))
	if l := load(t, toks); string(l.Value) != "v3" || !l.Adopted {
		t.Fatalf("adopted without a pending mark: %+v", l)
	}
}

// A crash after Begin, before any answer was saved: the old token is
// served and the interruption is told.
func TestTokensLoadTellsAnInterruptedRefresh(t *testing.T) {
	toks, _ := newTokens(t)
	if _, err := toks.Begin("a", "r1"); err != nil {
		t.Fatal(err)
	}
	l := load(t, toks)
	if string(l.Value) != "v1" || !l.Interrupted || l.Adopted || l.State.Pending != 0 {
		t.Fatalf("interrupted: %+v", l)
	}
	if l := load(t, toks); l.Interrupted {
		t.Fatal("told twice")
	}
}

func TestTokensCreateIsAllOrNothing(t *testing.T) {
	toks, sec := newTokens(t)
	// A taken id: the existing account's token is untouched.
	if err := toks.Create(sampleRecord("a", 2), []byte("other"), nil, TimelineKeep{}); !errors.Is(err, ErrAccountExists) {
		t.Fatalf("taken id: %v", err)
	}
	if l := load(t, toks); string(l.Value) != "v1" {
		t.Fatal("creating a taken id overwrote its token")
	}
	// A row that cannot be written: the secret is removed again.
	toks.DB.Close()
	if err := toks.Create(sampleRecord("b", 1), []byte("vb"), nil, TimelineKeep{}); err == nil {
		t.Fatal("created without a database")
	}
	if got := sec.keys(); !slices.Equal(got, []string{"account:a#1"}) {
		t.Fatalf("keychain after a failed create: %v", got)
	}
}

func TestTokensRemoveLeavesNothing(t *testing.T) {
	toks, sec := newTokens(t)
	toks.Begin("a", "r")
	sec.Set(TokenKey("a", 2), []byte("v2")) // a save a crash cut short
	sec.Set(TokenKey("a", 0), []byte("v0")) // the key of an earlier version
	if err := toks.Remove("a"); err != nil {
		t.Fatal(err)
	}
	if got := sec.keys(); len(got) != 0 {
		t.Fatalf("left in the keychain: %v", got)
	}
	if _, err := toks.Load("a"); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("Load after Remove: %v", err)
	}
	if _, err := toks.Save("a", []byte("stale")); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("a stale save after Remove: %v", err)
	}
	if got := sec.keys(); len(got) != 0 {
		t.Fatalf("a stale save left a secret: %v", got)
	}
}
