package emulator

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Dialect names, which are also the path prefixes the dialects are served under.
const (
	Depop       = "depop"
	EBay        = "ebay"
	Vaultist    = "vaultist"
	SmartThings = "smartthings"
	Demo        = "demo"
)

// Dialects lists every dialect the emulator speaks.
var Dialects = []string{Depop, EBay, Vaultist, SmartThings, Demo}

// Default test credentials: the built-in catalog's profiles work against a
// default emulator with these settings.
const (
	TestClientID     = "test-client"
	TestClientSecret = "test-secret"
	TestPartnerID    = 1234
	TestRuName       = "SellerConnect-test-RuName"
	// TestAcceptedURL is the https "auth accepted URL" TestRuName stands for.
	TestAcceptedURL = "https://sellerconnect.example/ebay/accepted"
	// TestRedirectURI is the fixed loopback redirect the catalog registers for
	// Depop and SmartThings.
	TestRedirectURI = "http://127.0.0.1:53682/callback"
	TestEmail       = "seller@example.com"
	TestPassword    = "correct horse"
	DemoClientID    = "sellerconnect-demo"
)

// Rotation overrides a dialect's refresh-token rotation.
type Rotation int

const (
	RotationDefault Rotation = iota // the dialect's documented behaviour
	RotationOn                      // every refresh returns a new refresh token; the previous access and refresh tokens die at once
	RotationOff                     // a refresh returns no refresh token; the old one stays valid
)

// Client is an application registered with a provider.
type Client struct {
	ID string
	// Secret is empty for a public client, which must use PKCE.
	Secret string
	// Name is shown on the consent page ("SellerConnect" when empty).
	Name string
	// RedirectURIs are compared exactly with redirect_uri. An entry whose
	// port is "*" (http://127.0.0.1:*/callback) accepts any port on that host;
	// an entry whose path is "/*" accepts any path.
	RedirectURIs []string
	// RuNames maps an eBay RuName (sent as redirect_uri) to its https
	// "auth accepted URL", where Approve sends the browser.
	RuNames map[string]string
}

// User is a seller account at the provider. Vault.ist signs users in with
// Email and Password; the other dialects use the first user as the seller
// who approves on the consent page unless the page is told another name.
type User struct {
	Email    string
	Password string
	ID       string // the account id the test call returns
	Name     string // the display name the test call returns
}

// Dialect configures one dialect. Zero fields take the dialect's defaults
// (see the package documentation); lifetimes are in seconds.
type Dialect struct {
	AccessTTL  int
	RefreshTTL int
	CodeTTL    int
	Rotation   Rotation
	// Clients replace the default test client when set.
	Clients []Client
	// Users replace the default seller when set.
	Users []User
	// PartnerID is the partnerId header Vault.ist requires.
	PartnerID int
}

// Options configure an Emulator.
type Options struct {
	// Addr to listen on; "127.0.0.1:0" (any free port) when empty.
	Addr string
	// Now is the emulator's clock (time.Now when nil). Every expiry
	// (codes, access and refresh tokens) is judged by it.
	Now func() time.Time
	// Dialects overrides settings per dialect name.
	Dialects map[string]Dialect
	// NoIssuedLog stops recording issued secrets for Issued (saves memory
	// in benchmarks with many accounts).
	NoIssuedLog bool
}

// Emulator is a provider emulator: one HTTP server on 127.0.0.1 serving every
// dialect under its own path prefix. It is safe for concurrent use.
type Emulator struct {
	opts     Options
	now      func() time.Time
	dialects map[string]*dialect
	mux      *http.ServeMux

	mu     sync.Mutex
	ln     net.Listener
	srv    *http.Server
	url    string
	closed bool

	issuedMu sync.Mutex
	issued   []string
}

// New builds an emulator; Start makes it listen.
func New(opts Options) *Emulator {
	e := &Emulator{opts: opts, now: opts.Now, dialects: map[string]*dialect{}, mux: http.NewServeMux()}
	if e.now == nil {
		e.now = time.Now
	}
	for _, name := range Dialects {
		d := newDialect(e, name, opts.Dialects[name])
		e.dialects[name] = d
		d.spec.routes(d, e.mux)
	}
	e.mux.HandleFunc("GET /{$}", e.serveIndex)
	return e
}

// Start listens on Options.Addr (127.0.0.1:0 by default) and serves in the background.
func (e *Emulator) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return errors.New("emulator: already started")
	}
	addr := e.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	e.ln = ln
	e.url = "http://" + ln.Addr().String()
	e.srv = &http.Server{Handler: e.mux, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()
	return nil
}

// URL is the server's base address, such as http://127.0.0.1:4567 (empty before Start).
func (e *Emulator) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.url
}

// Handler is the emulator's HTTP handler, for serving it on a listener of
// your own instead of calling Start.
func (e *Emulator) Handler() http.Handler { return e.mux }

// Close stops the server and closes every connection.
func (e *Emulator) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil && !e.closed {
		_ = e.srv.Close()
	}
	e.closed = true
}

func (e *Emulator) dialect(name string) *dialect {
	d, ok := e.dialects[name]
	if !ok {
		panic(fmt.Sprintf("emulator: unknown dialect %q", name))
	}
	return d
}

func (e *Emulator) record(secrets ...string) {
	if e.opts.NoIssuedLog {
		return
	}
	e.issuedMu.Lock()
	e.issued = append(e.issued, secrets...)
	e.issuedMu.Unlock()
}

// Issued returns every code, access token and refresh token the emulator has
// issued so far, in every dialect, so tests can check none leaks anywhere.
func (e *Emulator) Issued() []string {
	e.issuedMu.Lock()
	defer e.issuedMu.Unlock()
	return append([]string(nil), e.issued...)
}

// Stats are counters of one dialect since the emulator was built.
type Stats struct {
	ConsentPages        int // consent pages served
	Approvals           int
	Denials             int
	TokenRequests       int // every request to the token endpoint, faulted ones included
	CodesExchanged      int // successful authorization code exchanges
	SignIns             int // successful password sign-ins (Vault.ist)
	SignInFailures      int
	Refreshes           int // successful refreshes
	InvalidGrant        int // answers saying a code or refresh token is not (or no longer) valid
	ReusedRefresh       int // refreshes presenting a refresh token that rotation had already replaced
	ReuseRevocations    int // grants revoked because a replaced refresh token came back
	ConcurrentRefreshes int // refreshes that began while another refresh of the same grant was in flight
	ClientAuthFailures  int // wrong or missing client credentials
	FaultsServed        int // token requests answered (or dropped) by an injected fault
	TestCalls           int // test calls answered 200
	TestCallsRejected   int // test calls answered 401 or 403
	Revocations         int // grants revoked through an endpoint, RevokeGrant or RevokeSeller
}

// Stats returns a snapshot of a dialect's counters.
func (e *Emulator) Stats(dialect string) Stats {
	d := e.dialect(dialect)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// AccessValid reports whether token is an unexpired access token of a live
// grant in dialect.
func (e *Emulator) AccessValid(dialect, token string) bool {
	d := e.dialect(dialect)
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.access[token]
	return a != nil && !a.g.revoked && e.now().Before(a.exp)
}

// AccessValidSince reports whether token was a working access token of
// dialect at some moment at or after since: it still works, or rotation
// ended it after since and before it expired. A client that hands out a
// token it read before since and that rotation had already ended fails it.
func (e *Emulator) AccessValidSince(dialect, token string, since time.Time) bool {
	d := e.dialect(dialect)
	d.mu.Lock()
	defer d.mu.Unlock()
	if a := d.access[token]; a != nil && !a.g.revoked && e.now().Before(a.exp) {
		return true
	}
	end, ok := d.ended[token]
	return ok && !end.at.Before(since) && since.Before(end.exp)
}

// RefreshValid reports whether token is the current, unexpired refresh token
// of a live grant in dialect.
func (e *Emulator) RefreshValid(dialect, token string) bool {
	d := e.dialect(dialect)
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.refresh[token]
	return g != nil && !g.revoked && e.now().Before(g.refreshExp)
}

// Grants returns how many live grants dialect holds.
func (e *Emulator) Grants(dialect string) int {
	d := e.dialect(dialect)
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.refresh)
}

// RevokeGrant revokes the grant that token (an access or refresh token,
// current or rotated away) belongs to, as a seller revoking the app does.
// It reports whether a live grant was found.
func (e *Emulator) RevokeGrant(dialect, token string) bool {
	d := e.dialect(dialect)
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.grantOf(token)
	if g == nil || g.revoked {
		return false
	}
	d.revoke(g)
	return true
}

// RevokeSeller revokes every grant a seller (matched by user name, email or
// id) has given in dialect, as a password change does at eBay. It returns
// how many grants it revoked.
func (e *Emulator) RevokeSeller(dialect, seller string) int {
	d := e.dialect(dialect)
	d.mu.Lock()
	defer d.mu.Unlock()
	var gs []*grant
	for _, g := range d.refresh {
		if g.user.Name == seller || g.user.ID == seller || (g.user.Email != "" && g.user.Email == seller) {
			gs = append(gs, g)
		}
	}
	for _, g := range gs {
		d.revoke(g)
	}
	return len(gs)
}

func (e *Emulator) serveIndex(w http.ResponseWriter, r *http.Request) {
	names := append([]string(nil), Dialects...)
	sort.Strings(names)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "SellerConnect provider emulator. Dialects:")
	for _, n := range names {
		fmt.Fprintf(w, "  /%s/\n", n)
	}
}
