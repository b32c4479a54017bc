package accounts

import (
	"fmt"
	"github.com/sellerconnect/sellerconnect/internal/clock"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pkg/browser"

	"github.com/sellerconnect/sellerconnect/demo"
	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// Option adjusts what Open wires.
type Option func(*Config)

// WithVersion sets the app version shown in reports.
func WithVersion(v string) Option { return func(c *Config) { c.AppVersion = v } }

// WithLogf sends the service's log lines (already redacted) to f.
func WithLogf(f func(string, ...any)) Option { return func(c *Config) { c.Logf = f } }

// WithSecrets replaces the keychain (tests, benchmarks).
func WithSecrets(st SecretStore) Option { return func(c *Config) { c.Secrets = st } }

// WithClock replaces the real clock.
func WithClock(cl clock.Clock) Option { return func(c *Config) { c.Clock = cl } }

// WithTiming replaces the refresh policy.
func WithTiming(t Timing) Option { return func(c *Config) { c.Timing = t } }

// WithOpener replaces the system browser.
func WithOpener(o oauth.URLOpener) Option { return func(c *Config) { c.Opener = o } }

// WithoutDemo leaves the demo provider unserved.
func WithoutDemo() Option { return func(c *Config) { c.Demo = nil } }

// Open wires the real parts for a data directory ("" for the default: see
// storage.DataDir): the OS keychain, the records and settings files, the
// catalog with the custom providers in DATADIR/providers, an HTTP client
// with timeouts, the system browser and the Demo. Every face opens the
// service this way. Catalog errors do not stop it: CatalogErrors has them.
func Open(dataDir string, opts ...Option) (*Service, error) {
	dir, err := storage.DataDir(dataDir)
	if err != nil {
		return nil, err
	}
	provDir := filepath.Join(dir, "providers")
	cat, catErrs := oauth.LoadCatalog(provDir)
	if cat == nil {
		return nil, fmt.Errorf("the provider catalog did not load: %v", catErrs)
	}
	db, err := storage.OpenDB(dir)
	if err != nil {
		return nil, err
	}
	cfg := Config{
		DataDir:       dir,
		Catalog:       cat,
		CatalogErrors: catErrs,
		ProvidersDir:  provDir,
		Secrets:       storage.NewKeychain(dir),
		Settings:      db.Settings(),
		Opener:        systemBrowser{},
		HTTPClient:    defaultHTTPClient(),
	}
	cfg.Demo = demo.New(db, demo.Options{Now: func() time.Time { return cfg.clockOrReal().Now() }})
	for _, o := range opts {
		o(&cfg)
	}
	cfg.Store = storage.NewStore(db, cfg.Secrets)
	cfg.closeStore = db.Close
	cfg.known = &secretSet{}
	logger, closer := openLog(dir, cfg.Settings.Get().LogLevel, cfg.known)
	cfg.logger, cfg.closeLog = logger, closer.Close
	logger.Info("opened", "version", cfg.AppVersion, "data_dir", dir, "command", commandName(), "pid", os.Getpid())
	s, err := New(cfg)
	if err != nil {
		db.Close()
	}
	return s, err
}

// commandName is the command this process runs ("window" for none).
func commandName() string {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		return os.Args[1]
	}
	return "window"
}

// logCatalog notes which provider files loaded and which did not.
func logCatalog(log *slog.Logger, dir string, cat *oauth.Catalog, errs []error) {
	files := map[string]bool{}
	for _, p := range cat.List() {
		if p.Source != oauth.BuiltinSource {
			files[p.Source] = true
		}
	}
	log.Info("provider catalog", "dir", dir, "providers", len(cat.List()), "files_loaded", len(files), "files_failed", len(errs))
	for _, e := range errs {
		log.Warn("provider file did not load", "error", e.Error())
	}
}

// systemBrowser opens addresses with pkg/browser, in the background and
// without letting the launcher write to our stdout (which carries the
// CLI's results).
type systemBrowser struct{}

var browserOnce sync.Once

func (systemBrowser) Open(url string) error {
	browserOnce.Do(func() {
		browser.Stdout = io.Discard
		browser.Stderr = io.Discard
	})
	go func() { _ = browser.OpenURL(url) }()
	return nil
}

const demoProvider = "demo"

// Marketplace is a provider SellerConnect serves itself on 127.0.0.1 (the
// Demo): started on first use, its address then given to the provider's
// profile. *demo.Server is one; its grants live in the shared store, so
// every process serves the same marketplace.
type Marketplace interface {
	Start() error
	URL() string
	Close() error
}

// demoState runs the configured Marketplace for the demo provider.
type demoState struct {
	mu      sync.Mutex
	started bool
	base    string
}

func (d *demoState) running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.started
}

func (d *demoState) rebase(p *oauth.Profile) *oauth.Profile {
	d.mu.Lock()
	base := d.base
	d.mu.Unlock()
	return p.Rebase(base)
}

func (s *Service) ensureDemo() error {
	s.demo.mu.Lock()
	defer s.demo.mu.Unlock()
	if s.demo.started {
		return nil
	}
	if err := s.cfg.Demo.Start(); err != nil {
		return &oauth.Error{Kind: oauth.KindTemporary, Op: "demo", Err: err,
			Advice: "The demo marketplace could not start on 127.0.0.1; try again."}
	}
	s.demo.started, s.demo.base = true, s.cfg.Demo.URL()
	s.logf("demo marketplace at %s", s.demo.base)
	return nil
}

func (s *Service) stopDemo() {
	s.demo.mu.Lock()
	defer s.demo.mu.Unlock()
	if s.demo.started {
		if err := s.cfg.Demo.Close(); err != nil {
			s.logf("demo marketplace: %v", err)
		}
		s.demo.started = false
	}
}
