package accounts

import (
	"errors"
	"fmt"
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

// Options says where Open works and what it replaces; the zero value is
// the shipped app on the default data directory.
type Options struct {
	// DataDir is the data directory; "" for the default (see
	// storage.DataDir).
	DataDir string
	// Version is the app version, for reports and the log.
	Version string
	// Secrets replaces the OS keychain (tests).
	Secrets storage.Secrets
	// Opener replaces the system browser (tests).
	Opener oauth.URLOpener
	// NoDemo leaves the Demo marketplace unserved.
	NoDemo bool
	// MustWrite fails Open before it touches anything when the data
	// directory cannot take new files, for a command that would change
	// something.
	MustWrite bool
}

// Open wires the real parts for a data directory: the OS keychain, the
// shared database, the catalog with the custom providers in
// DATADIR/providers, an HTTP client with timeouts, the system browser and
// the Demo. Every face opens the service this way. Provider files that do
// not load do not stop it: Providers names them.
func Open(o Options) (*Service, error) {
	dir, err := storage.DataDir(o.DataDir)
	if err != nil {
		return nil, &dataDirError{err: err, advice: "Check the directory's permissions, or choose another data directory."}
	}
	if o.MustWrite {
		if err := checkWritable(dir); err != nil {
			return nil, err
		}
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
	cfg := config{
		DataDir:       dir,
		Catalog:       cat,
		CatalogErrors: catErrs,
		ProvidersDir:  provDir,
		Secrets:       storage.NewKeychain(dir),
		Settings:      db.Settings(),
		Opener:        systemBrowser{},
		HTTPClient:    defaultHTTPClient(),
		AppVersion:    o.Version,
	}
	if o.Secrets != nil {
		cfg.Secrets = o.Secrets
	}
	if o.Opener != nil {
		cfg.Opener = o.Opener
	}
	if !o.NoDemo {
		cfg.Demo = demo.New(db, demo.Options{Now: func() time.Time { return cfg.clockOrReal().Now() }})
	}
	cfg.Store = storage.NewStore(db, cfg.Secrets)
	cfg.closeStore = db.Close
	cfg.known = &secretSet{}
	logger, closer := openLog(dir, cfg.Settings.Get().LogLevel, cfg.known)
	cfg.logger, cfg.closeLog = logger, closer.Close
	logger.Info("opened", "version", cfg.AppVersion, "data_dir", dir, "command", commandName(), "pid", os.Getpid())
	s, err := newService(cfg)
	if err != nil {
		db.Close()
	}
	return s, err
}

// checkWritable fails early, before anything is changed, when the data
// directory cannot take new files (the database, locks).
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the sentence names the path
		}
		return &dataDirError{err: fmt.Errorf("the data directory %s is not writable (%v)", dir, err),
			advice: "Check the directory's permissions and free space, or choose another data directory."}
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// dataDirError is a data directory that cannot be used.
type dataDirError struct {
	err    error
	advice string
}

func (e *dataDirError) Error() string { return e.err.Error() }
func (e *dataDirError) Unwrap() error { return e.err }

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

// marketplace is a provider SellerConnect serves itself on 127.0.0.1 (the
// Demo): started on first use, its address then given to the provider's
// profile. *demo.Server is one; its grants live in the shared store, so
// every process serves the same marketplace.
type marketplace interface {
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
