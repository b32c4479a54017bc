package accounts

import (
	"context"
	"errors"
	"fmt"
	"github.com/sellerconnect/sellerconnect/internal/clock"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
	"github.com/sellerconnect/sellerconnect/storage/faultstore"
)

// Everything the tests see the service produce (log lines, errors,
// reports, timelines) and every secret the emulators issued, for the
// redaction test that runs last.
var (
	corpusMu  sync.Mutex
	corpus    []string
	issuedAll []string
)

func collect(parts ...string) {
	corpusMu.Lock()
	corpus = append(corpus, parts...)
	corpusMu.Unlock()
}

func collectErr(err error) {
	if err != nil {
		collect(err.Error())
	}
}

type envOpts struct {
	fake      bool
	accessTTL int // demo access lifetime, seconds
	timing    timing
	memory    bool // in-memory secrets instead of the real keychain
}

type env struct {
	t     testing.TB
	dir   string
	em    *emulator.Emulator
	fc    *clock.Fake
	clock clock.Clock
	fault *faultstore.Store
	mem   *faultstore.Memory // the keychain, with envOpts.memory
	svc   *Service
	cfg   config
}

var testStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func fastTiming() timing {
	return timing{
		MinLead:      500 * time.Millisecond,
		Guarantee:    time.Second,
		WallCheck:    2 * time.Second,
		RetryBase:    200 * time.Millisecond,
		RetryMax:     3 * time.Second,
		SaveRetry:    200 * time.Millisecond,
		SaveDeadline: time.Second,
		PerProvider:  4,
	}
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.clock = clock.Real{}
	if o.fake {
		e.fc = clock.NewFake(testStart)
		e.clock = e.fc
	}
	if o.accessTTL == 0 {
		o.accessTTL = 120
	}
	e.em = emulator.Started(t, emulator.Options{Now: e.clock.Now, Dialects: map[string]emulator.Dialect{
		emulator.Demo: {AccessTTL: o.accessTTL},
	}})
	var inner faultstore.Inner
	if o.memory {
		e.mem = &faultstore.Memory{}
		inner = e.mem
	} else {
		inner = storage.NewKeychain(e.dir)
	}
	e.fault = faultstore.New(inner)
	e.cfg = e.config(o.timing)
	e.open()
	t.Cleanup(func() {
		e.harvest()
		collectErr(e.svc.Close())
		corpusMu.Lock()
		issuedAll = append(issuedAll, e.em.Issued()...)
		corpusMu.Unlock()
	})
	return e
}

func (e *env) config(tm timing) config {
	cfg, err := testConfig(e.dir, e.em.URL(), e.fault, openDB(e.t, e.dir))
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.Clock, cfg.Opener, cfg.Timing = e.clock, &emulator.AutoApprover{}, tm
	cfg.Logf = func(f string, a ...any) { collect(fmt.Sprintf(f, a...)) }
	return cfg
}

// testConfig wires the service the way every test here does: the data
// directory's catalog, the store on db with secrets, and the Demo and
// Depop sent to the emulator at emURL.
func testConfig(dir, emURL string, secrets secretStore, db *storage.DB) (config, error) {
	cat, errs := oauth.LoadCatalog(filepath.Join(dir, "providers"))
	if len(errs) > 0 {
		return config{}, fmt.Errorf("catalog: %v", errs)
	}
	return config{
		DataDir: dir, Catalog: cat, Secrets: secrets, Store: storage.NewStore(db, secrets), Settings: db.Settings(),
		AppVersion: "test-1.2.3",
		Endpoints:  map[string]string{"demo": emURL + "/demo", "depop": emURL + "/depop"},
	}, nil
}

func (e *env) open() {
	svc, err := newService(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

// second opens another service on the same data directory and keychain,
// as a second process would; its texts join the redaction corpus when the
// test ends.
func (e *env) second() *Service {
	e.t.Helper()
	cfg := e.cfg
	db := openDB(e.t, e.dir) // a connection of its own, as a process has
	cfg.Store, cfg.Settings = storage.NewStore(db, e.fault), db.Settings()
	other, err := newService(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		collectErr(other.Close())
		r := other.report()
		js, _ := r.json()
		collect(r.text(), string(js))
	})
	return other
}

// harvest collects every text the service can show.
func (e *env) harvest() {
	r := e.svc.report()
	collect(r.text())
	if b, err := r.json(); err == nil {
		collect(string(b))
	}
	for _, a := range e.svc.List() {
		full, err := e.svc.Get(a.ID)
		collectErr(err)
		collect(full.Reason, full.Action)
		for _, x := range full.Timeline {
			collect(x.Summary, fmt.Sprint(x.Detail))
		}
		if full.LastError != nil {
			collect(fmt.Sprint(*full.LastError))
		}
	}
	collectDataDir(e.dir)
}

// collectDataDir adds every file of the data directory (the database and
// its log included) to the redaction corpus.
func collectDataDir(dir string) {
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(path); err == nil {
				collect(string(b))
			}
		}
		return nil
	})
}

// openDB opens the data directory's database for the test.
func openDB(t testing.TB, dir string) *storage.DB {
	t.Helper()
	db, err := storage.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// connect connects a demo account approved by seller.
func (e *env) connect(provider, seller string) Account {
	e.t.Helper()
	e.svc.cfg.Opener = &emulator.AutoApprover{Seller: seller}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := e.svc.Connect(ctx, ConnectRequest{Provider: provider, Timeout: 20 * time.Second})
	if err != nil {
		e.t.Fatalf("connect %s as %s: %v", provider, seller, err)
	}
	return a
}

// waitFor polls cond (real time) until it holds or the timeout passes.
func (e *env) waitFor(what string, timeout time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) status(id string) Account {
	e.t.Helper()
	a, err := e.svc.Get(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// storedToken reads the account's token from the keychain (bypassing faults).
func (e *env) storedToken(id string) *oauth.Token {
	e.t.Helper()
	e.fault.ClearAll()
	tok, _, err := e.svc.readToken(id)
	if err != nil {
		e.t.Fatalf("stored token of %s: %v", id, err)
	}
	return tok
}

func isKind(err error, k oauth.Kind) bool {
	var oe *oauth.Error
	return errors.As(err, &oe) && oe.Kind == k
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
