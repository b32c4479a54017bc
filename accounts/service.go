package accounts

import (
	"context"
	"errors"
	"fmt"
	"github.com/sellerconnect/sellerconnect/internal/clock"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// secretStore holds secrets: "account:<id>" (the token JSON) and
// "provider:<id>:<setting>" (client secrets). *storage.Keychain and
// *faultstore.Store satisfy it. Get returns an error wrapping
// storage.ErrNotFound for a missing key.
type secretStore interface {
	Get(key string) ([]byte, error)
	Set(key string, value []byte) error
	Delete(key string) error
}

// accountStore is where accounts live, shared by every process on the machine:
// each account's record and timeline, and its token kept two-phase with
// the keychain (see storage.Tokens). *storage.accountStore, SQLite with the OS
// keychain, is the one SellerConnect ships; the refresh code sees only
// this interface.
type accountStore interface {
	Accounts() ([]storage.Row, error)
	Account(id string) (storage.Row, bool, error)
	UpdateAccounts(updates map[string]storage.RecordUpdate, keep storage.TimelineKeep) (gone []string, err error)
	Timeline(id string) ([]storage.TimelineEntry, error)
	// Changed reports whether another process wrote since the last call.
	Changed() (bool, error)
	// DataVersion changes whenever another process writes (not when this
	// one does); it may lag such a write by a few milliseconds.
	DataVersion() (int64, error)

	TokenState(id string) (storage.TokenState, error)
	LoadToken(id string) (storage.Loaded, error)
	LoadTokenAt(id string, ts storage.TokenState) (storage.Loaded, error)
	BeginRefresh(id, sync string) (storage.TokenState, error)
	EndRefresh(id string) error
	SetSync(id, sync string) error
	SaveToken(id string, value []byte) (storage.TokenState, error)
	CreateAccount(r storage.Record, value []byte, entries []storage.TimelineEntry, keep storage.TimelineKeep) error
	RemoveAccount(id string) error

	// Failed connect attempts, for the report: they leave no account.
	AddConnectFailure(f storage.ConnectFailure) error
	ConnectFailures() ([]storage.ConnectFailure, error)
}

// config wires the service. DataDir, Catalog, Secrets and Store are
// required; the rest have defaults.
type config struct {
	DataDir  string
	Catalog  *oauth.Catalog
	Secrets  secretStore // client secrets; the Store keeps tokens in the same keychain
	Store    accountStore
	Settings *storage.Settings // nil: provider settings come from profile defaults only
	Clock    clock.Clock       // nil: the real clock
	Opener   oauth.URLOpener   // opens the consent page; nil: never opens a browser
	// HTTPClient sends provider requests; nil: a client with sane timeouts.
	HTTPClient *http.Client
	Logf       func(string, ...any) // nil: no log

	// Additions beyond the first contract:

	// Timing is the refresh policy; zero fields take DefaultTiming.
	Timing timing
	// AppVersion goes into reports.
	AppVersion string
	// ProvidersDir is the custom providers folder, read again when it
	// changes (see Providers).
	ProvidersDir string
	// CatalogErrors are provider files that did not load (shown by the faces).
	CatalogErrors []error
	// Demo serves the built-in "demo" provider, started on first use; nil
	// leaves it unserved. Open sets the Demo marketplace.
	Demo marketplace
	// closeStore, when set, closes the store at Close (Open opened it).
	closeStore func() error
	// logger is the log (Open's: the data directory's rotated file, through
	// the redacting handler over known); closeLog closes it at Close.
	logger   *slog.Logger
	known    *secretSet
	closeLog func() error
	// Endpoints sends a provider's requests to another base address
	// (profile.Rebase): provider id → base, such as an emulator's
	// "http://127.0.0.1:4567/depop". For tests and staging proxies.
	Endpoints map[string]string
}

// Service keeps every account's tokens valid and answers both faces.
type Service struct {
	cfg     config
	t       timing
	clock   clock.Clock
	secrets secretStore
	http    *http.Client
	logf    func(string, ...any)
	log     *slog.Logger
	known   *secretSet // every secret this process holds, for the log

	catMu   sync.RWMutex
	catalog *oauth.Catalog
	catErrs []error
	// catPrint is the providers folder as last loaded (see folderPrint).
	catPrint string

	store accountStore

	mu    sync.RWMutex
	accts map[string]*account
	// all: every account in the store is in accts (List or Start loaded
	// them); until then accounts load one by one as they are asked for,
	// so a command about one account does not read ten thousand.
	all bool

	sched *scheduler
	hub   hub

	semMu sync.Mutex
	sems  map[string]chan struct{}

	credMu      sync.Mutex
	creds       map[string]oauth.Credentials
	credVersion int64 // the store's DataVersion when creds were read

	persist persister
	demo    demoState

	startOnce sync.Once
	runCtx    context.Context
	runCancel context.CancelFunc
	// hardCtx ends refresh requests already sent; Close cancels it only
	// after a grace period (see doRefresh).
	hardCtx    context.Context
	hardCancel context.CancelFunc
	wg         sync.WaitGroup
	closed     atomic.Bool

	// Test and benchmark hooks.
	onRefresh func(id string, old, nt *oauth.Token, at time.Time)
	onWait    func(waited time.Duration) // a token request waited for a planned rotation
	refreshes atomic.Int64
	inHTTP    atomic.Int64 // refresh requests in flight
	peakHTTP  atomic.Int64
}

// newService builds the service on the store. Accounts are read when first
// needed. A keychain that does not answer is no error here: List works,
// and Connect and Token report the keychain's advice when they need it.
func newService(cfg config) (*Service, error) {
	if cfg.DataDir == "" || cfg.Catalog == nil || cfg.Secrets == nil || cfg.Store == nil {
		return nil, errors.New("accounts: Config needs DataDir, Catalog, Secrets and Store")
	}
	s := &Service{
		cfg:      cfg,
		t:        cfg.Timing.withDefaults(),
		clock:    cfg.Clock,
		secrets:  cfg.Secrets,
		store:    cfg.Store,
		http:     cfg.HTTPClient,
		logf:     cfg.Logf,
		catalog:  cfg.Catalog,
		catErrs:  cfg.CatalogErrors,
		catPrint: folderPrint(cfg.ProvidersDir),
		accts:    map[string]*account{},
		sems:     map[string]chan struct{}{},
		creds:    map[string]oauth.Credentials{},
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.http == nil {
		s.http = defaultHTTPClient()
	}
	s.known = cfg.known
	if s.known == nil {
		s.known = &secretSet{}
	}
	s.log = cfg.logger
	if s.log == nil {
		s.log = slog.New(&redactingHandler{inner: slog.DiscardHandler, secrets: s.known})
	}
	logCatalog(s.log, cfg.ProvidersDir, cfg.Catalog, cfg.CatalogErrors)
	tap := s.logf
	s.logf = func(f string, args ...any) {
		line := fmt.Sprintf(f, args...)
		s.log.Info(line)
		if tap != nil {
			tap("%s", s.known.scrub(line))
		}
	}
	s.runCtx, s.runCancel = context.WithCancel(context.Background())
	s.hardCtx, s.hardCancel = context.WithCancel(context.Background())
	s.sched = newScheduler(s.clock, s.t.WallCheck, s.t.PerProvider, s.runScheduled)
	s.sched.onTick = s.tick
	s.persist.init(s)
	// Note the database's version now: the first tick then sees only what
	// others write from here on.
	if _, err := s.store.Changed(); err != nil {
		return nil, err
	}
	return s, nil
}

// loadAll brings every account of the store into memory (List, Start).
func (s *Service) loadAll() error {
	s.mu.RLock()
	all := s.all
	s.mu.RUnlock()
	if all {
		return nil
	}
	rows, err := s.store.Accounts()
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, r := range rows {
		s.adoptRow(r, now)
	}
	s.mu.Lock()
	s.all = true
	s.mu.Unlock()
	return nil
}

// adoptRow makes a row an account in memory unless it is there already,
// and returns the account.
func (s *Service) adoptRow(r storage.Row, now time.Time) (*account, bool) {
	s.mu.Lock()
	if a := s.accts[r.ID]; a != nil {
		s.mu.Unlock()
		return a, false
	}
	a := newAccount(r.Record, now)
	a.known = s.known
	if a.standing == standingStopped {
		a.stoppedStamp = storage.TokenState{Generation: r.Generation, Sync: r.Sync}.Stamp()
	}
	s.accts[r.ID] = a
	s.mu.Unlock()
	s.scheduleLoaded(a, now)
	return a, true
}

func (c *config) clockOrReal() clock.Clock {
	if c.Clock == nil {
		return clock.Real{}
	}
	return c.Clock
}

func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSHandshakeTimeout = 10 * time.Second
	tr.ResponseHeaderTimeout = 30 * time.Second
	tr.IdleConnTimeout = 90 * time.Second
	tr.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: tr, Timeout: 40 * time.Second}
}

// Start runs the background refresh scheduler until ctx ends or Close is
// called. It returns at once; calling it again does nothing.
func (s *Service) Start(ctx context.Context) {
	s.startOnce.Do(func() {
		if err := s.loadAll(); err != nil {
			s.logf("reading the accounts: %v", err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			stop := context.AfterFunc(ctx, s.runCancel)
			defer stop()
			s.sched.Run(s.runCtx)
		}()
	})
}

// closeGrace bounds how long Close waits for refresh requests in flight.
const closeGrace = 10 * time.Second

// Close stops the scheduler, waits for refreshes in flight, tries once more
// to save any token the keychain refused, writes the records and stops the
// demo marketplace. Safe to call more than once.
func (s *Service) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.runCancel()
	s.wg.Wait()
	// Refreshes already sent are let finish (a rotating provider has
	// replaced the token, and only the answer says with what), for a while.
	done := make(chan struct{})
	go func() { s.sched.wg.Wait(); close(done) }()
	grace := time.NewTimer(min(s.t.RequestTimeout, closeGrace))
	select {
	case <-done:
	case <-grace.C:
		s.hardCancel()
		<-done
	}
	grace.Stop()
	s.hardCancel()
	var errs []error
	if err := s.saveUnsaved(); err != nil {
		errs = append(errs, err)
	}
	if err := s.persist.flushNow(); err != nil {
		errs = append(errs, err)
	}
	s.stopDemo()
	if s.cfg.closeStore != nil {
		if err := s.cfg.closeStore(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Error("closing", "error", err.Error())
	}
	if s.cfg.closeLog != nil {
		_ = s.cfg.closeLog()
	}
	return errors.Join(errs...)
}

// unsavedError is what Close returns when renewed tokens are still only in
// memory after SaveDeadline of retries: the provider replaced the stored
// ones, so these accounts will need connecting again.
type unsavedError struct {
	Accounts []string // ids
	Err      error    // the keychain's last refusal
}

func (e *unsavedError) Error() string {
	return fmt.Sprintf("the keychain refused to save the renewed token of %s (%v); the provider has already replaced the stored one, so %s will need connecting again. Fix or unlock the keychain and keep SellerConnect open, or connect %s again",
		strings.Join(e.Accounts, ", "), e.Err, plural(len(e.Accounts), "this account", "these accounts"), plural(len(e.Accounts), "it", "them"))
}

func (e *unsavedError) Unwrap() error { return e.Err }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// saveUnsaved retries saving renewed tokens the keychain refused, with
// growing pauses, for up to SaveDeadline; what still fails is returned as
// an *unsavedError (and marked, so other processes stop waiting for it).
func (s *Service) saveUnsaved() error {
	deadline := time.Now().Add(s.t.SaveDeadline)
	for try := 0; ; try++ {
		var left []*account
		var last error
		for _, a := range s.snapshotAccounts() {
			if err := s.retrySave(a); err != nil {
				left, last = append(left, a), err
			}
		}
		if len(left) == 0 {
			return nil
		}
		pause := backoff(try, s.t.SaveRetry, 5*time.Second, 0)
		if time.Now().Add(pause).After(deadline) {
			ue := &unsavedError{Err: last}
			for _, a := range left {
				s.giveUpUnsaved(a)
				ue.Accounts = append(ue.Accounts, a.id)
			}
			sort.Strings(ue.Accounts)
			s.logf("%v", ue)
			return ue
		}
		time.Sleep(pause)
	}
}

func (s *Service) snapshotAccounts() []*account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*account, 0, len(s.accts))
	for _, a := range s.accts {
		out = append(out, a)
	}
	return out
}

// account returns the account, reading it from the store when this
// process has not seen it yet.
func (s *Service) account(id string) (*account, error) {
	s.mu.RLock()
	a, all := s.accts[id], s.all
	s.mu.RUnlock()
	if a != nil {
		return a, nil
	}
	if id != "" && !all {
		r, ok, err := s.store.Account(id)
		if err != nil {
			return nil, err
		}
		if ok {
			a, _ = s.adoptRow(r, s.clock.Now())
			return a, nil
		}
	}
	return nil, &notFoundError{ID: id}
}

// notFoundError says no account has the id.
type notFoundError struct{ ID string }

func (e *notFoundError) Error() string { return fmt.Sprintf("no account %q", e.ID) }

// errNotFound is matched by errors.Is for a missing account.
var errNotFound = errors.New("account not found")

// Is makes errors.Is(err, ErrNotFound) true.
func (e *notFoundError) Is(target error) bool { return target == errNotFound }

// lookup finds a provider in the catalog as it stands (provider files can
// be reloaded while the service runs).
func (s *Service) lookup(id string) (*oauth.Profile, bool) {
	s.catMu.RLock()
	defer s.catMu.RUnlock()
	return s.catalog.Get(id)
}

// profile returns the provider's profile, rebased to the demo marketplace
// for the demo.
func (s *Service) profile(id string) (*oauth.Profile, error) {
	p, ok := s.lookup(id)
	if !ok {
		s.catMu.RLock()
		derr := s.catalog.Disabled(id)
		s.catMu.RUnlock()
		if derr != nil {
			// A provider file that concerns it did not load: nothing is
			// sent with a half-applied profile, and other providers work.
			return nil, &oauth.Error{Kind: oauth.KindConfig, Op: "profile",
				Description: fmt.Sprintf("provider %q is off because a provider file for it did not load: %v", id, derr),
				Advice:      fmt.Sprintf("Fix or remove the file in %s, then try again.", s.cfg.ProvidersDir)}
		}
		return nil, &oauth.Error{Kind: oauth.KindConfig, Op: "profile",
			Description: fmt.Sprintf("provider %q is not in the catalog", id),
			Advice:      "Restore the custom provider file that defined it, or disconnect the account."}
	}
	if err := s.endpointsError(p); err != nil {
		return nil, err
	}
	if base, ok := s.cfg.Endpoints[id]; ok {
		return p.Rebase(base), nil
	}
	if p.ID == demoProvider && s.cfg.Demo != nil {
		if err := s.ensureDemo(); err != nil {
			return nil, err
		}
		return s.demo.rebase(p), nil
	}
	return p, nil
}

func secretKey(provider, key string) string { return "provider:" + provider + ":" + key }

// credentials are the provider's app credentials: defaults, then the
// settings file, then secrets from the keychain. Cached until changed.
func (s *Service) credentials(p *oauth.Profile) (oauth.Credentials, error) {
	s.credMu.Lock()
	if v, err := s.store.DataVersion(); err == nil && v != s.credVersion {
		// Another process wrote (perhaps app credentials): read them again.
		s.creds, s.credVersion = map[string]oauth.Credentials{}, v
	}
	c, ok := s.creds[p.ID]
	s.credMu.Unlock()
	if ok {
		return c, nil
	}
	c = p.SettingDefaults()
	var vals map[string]string
	if s.cfg.Settings != nil {
		vals = s.cfg.Settings.Get().Providers[p.ID]
	}
	var firstErr error
	for _, st := range p.Settings {
		v := vals[st.Key]
		if st.Secret {
			b, err := s.secrets.Get(secretKey(p.ID, st.Key))
			switch {
			case err == nil:
				v = string(b)
				s.known.add(v)
			case errors.Is(err, storage.ErrNotFound):
			default:
				if firstErr == nil {
					firstErr = err
				}
			}
		}
		if v == "" {
			continue
		}
		switch st.Key {
		case "client_id":
			c.ClientID = v
		case "client_secret":
			c.ClientSecret = v
		default:
			if c.Settings == nil {
				c.Settings = map[string]string{}
			}
			c.Settings[st.Key] = v
		}
	}
	if firstErr != nil {
		return c, firstErr
	}
	s.credMu.Lock()
	s.creds[p.ID] = c
	s.credMu.Unlock()
	return c, nil
}

// SetProviderSettings stores a provider's settings: secrets in the keychain,
// the rest in the settings file. An empty value clears a setting. Accounts
// of the provider that showed wrong app credentials are retried.
func (s *Service) SetProviderSettings(provider string, values map[string]string) error {
	p, ok := s.lookup(provider)
	if !ok {
		return fmt.Errorf("unknown provider %q", provider)
	}
	plain, secrets, err := splitSettings(p, values)
	if err != nil {
		return err
	}
	for k, v := range secrets {
		if err := s.storeSecretSetting(provider, k, v); err != nil {
			return err
		}
	}
	if len(plain) > 0 && s.cfg.Settings == nil {
		return errors.New("accounts: no settings file to store provider settings in")
	}
	// Written even when only secrets changed: the write is what tells the
	// other processes (data_version) to read the credentials again.
	if s.cfg.Settings != nil {
		if err := s.cfg.Settings.Update(func(d *storage.SettingsData) { mergeSettings(d, provider, plain) }); err != nil {
			return err
		}
	}
	s.credMu.Lock()
	delete(s.creds, provider)
	s.credMu.Unlock()
	// A secret is bound to the addresses it was entered for: a provider
	// with none trusted yet (one of a file's own) is bound now.
	if s.cfg.Settings != nil && s.trusted(provider) == nil {
		if err := s.bindOrigins(p); err != nil {
			return err
		}
	}
	s.retryStopped(provider)
	return nil
}

// splitSettings sorts values into plain settings and secrets, refusing a
// key the provider does not take.
func splitSettings(p *oauth.Profile, values map[string]string) (plain, secrets map[string]string, err error) {
	secret := map[string]bool{}
	known := map[string]bool{}
	for _, st := range p.Settings {
		known[st.Key] = true
		secret[st.Key] = st.Secret
	}
	plain, secrets = map[string]string{}, map[string]string{}
	for k, v := range values {
		switch {
		case !known[k]:
			return nil, nil, fmt.Errorf("provider %q has no setting %q", p.ID, k)
		case secret[k]:
			secrets[k] = v
		default:
			plain[k] = v
		}
	}
	return plain, secrets, nil
}

// storeSecretSetting keeps a secret setting in the keychain ("" removes it).
func (s *Service) storeSecretSetting(provider, key, value string) error {
	if value != "" {
		return s.secrets.Set(secretKey(provider, key), []byte(value))
	}
	err := s.secrets.Delete(secretKey(provider, key))
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// mergeSettings writes a provider's plain settings into d ("" removes one).
func mergeSettings(d *storage.SettingsData, provider string, plain map[string]string) {
	if d.Providers == nil {
		d.Providers = map[string]map[string]string{}
	}
	m := d.Providers[provider]
	if m == nil {
		m = map[string]string{}
	}
	for k, v := range plain {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	if len(m) == 0 {
		delete(d.Providers, provider)
	} else {
		d.Providers[provider] = m
	}
}

// retryStopped lets the provider's accounts stopped for their credentials
// or settings try again: the seller acted.
func (s *Service) retryStopped(provider string) {
	now := s.clock.Now()
	for _, a := range s.snapshotAccounts() {
		a.mu.Lock()
		retry := a.rec.Provider == provider && a.status == StatusCredentials
		if retry {
			a.standing, a.failures = standingHealthy, 0
		}
		a.mu.Unlock()
		if retry {
			s.sched.Schedule(a.id, provider, now)
		}
	}
}

// DataDir is the data directory the service works in.
func (s *Service) DataDir() string { return s.cfg.DataDir }

// List returns every account, sorted by provider then name.
func (s *Service) List() []Account {
	if err := s.loadAll(); err != nil {
		s.logf("reading the accounts: %v", err)
	}
	now := s.clock.Now()
	accs := s.snapshotAccounts()
	out := make([]Account, 0, len(accs))
	for _, a := range accs {
		out = append(out, s.view(a, now, false))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		ni, nj := out[i].DisplayName, out[j].DisplayName
		if ni != nj {
			return ni < nj
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Get returns one account, with its timeline.
func (s *Service) Get(id string) (Account, error) {
	a, err := s.account(id)
	if err != nil {
		return Account{}, err
	}
	return s.detailed(a, s.clock.Now()), nil
}

// Subscribe delivers events until cancel is called. A slow subscriber never
// holds up the service: events for one account coalesce while it lags.
func (s *Service) Subscribe() (events <-chan Event, cancel func()) {
	return s.hub.subscribe()
}

// Token returns a valid access token, refreshing first when it is due.
func (s *Service) Token(ctx context.Context, id string) (string, error) {
	a, err := s.account(id)
	if err != nil {
		return "", err
	}
	tok, err := s.obtain(ctx, a, modeToken, time.Time{})
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// Refresh refreshes one account now, unless another refresh (in this or
// another process) completed after the call began. It is the user acting:
// an account stopped for reconnect or credentials is tried again.
func (s *Service) Refresh(ctx context.Context, id string) error {
	a, err := s.account(id)
	if err != nil {
		return err
	}
	_, err = s.obtain(ctx, a, modeForce, s.clock.Now())
	return err
}

// RefreshOutcome is one account's part in RefreshEach.
type RefreshOutcome struct {
	ID string
	// Skipped: the account waits for the seller (reconnect, or app
	// credentials), so nothing was sent; Reason says why.
	Skipped bool
	Reason  string
	Err     error
}

// RefreshEach refreshes every account that can be refreshed, a bounded
// number at a time per provider, and says what came of each, in List's
// order. Accounts that wait for the seller are skipped: their refresh
// tokens are known to be dead, and sending them again helps no one. It is
// what "Refresh all" in the window and `refresh --all` do.
func (s *Service) RefreshEach(ctx context.Context) []RefreshOutcome {
	list := s.List()
	out := make([]RefreshOutcome, len(list))
	var wg sync.WaitGroup
	since := s.clock.Now()
	for i, v := range list {
		out[i].ID = v.ID
		a, err := s.account(v.ID)
		if err != nil {
			out[i].Err = err
			continue
		}
		a.mu.Lock()
		skip := a.standing == standingStopped
		reason := a.reason
		a.mu.Unlock()
		if skip {
			out[i].Skipped, out[i].Reason = true, reason
			continue
		}
		wg.Go(func() {
			_, out[i].Err = s.obtain(ctx, a, modeForce, since)
		})
	}
	wg.Wait()
	return out
}
