package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"sync"
	"time"
)

// lifetime says from when a refresh token's lifetime counts.
type lifetime int

const (
	lifeAbsolute  lifetime = iota // from the first consent; rotated tokens inherit it (Depop)
	lifeFromIssue                 // from the token's own issue; with rotation this rolls (SmartThings)
)

// spec is the fixed part of a dialect: its documented behaviour.
type spec struct {
	display    string // provider name on pages
	accessTTL  int
	refreshTTL int
	codeTTL    int
	rotate     bool
	life       lifetime

	// authorization request rules
	pkceRequired  bool
	stateRequired bool
	scopeRequired bool
	scopeSep      string   // "+" or " "
	knownScopes   []string // nil accepts any scope
	defaultScopes []string // granted when the request names none
	testScope     string   // scope the test call needs ("" none)
	ruName        bool     // redirect_uri is an eBay RuName
	codeParams    func(d *dialect) [][2]string

	scopeText map[string]string // consent page wording per scope

	defaults func() Dialect // default clients, users, partnerId
	routes   func(d *dialect, mux *http.ServeMux)

	newCode    func() string
	newAccess  func(g *grant) string
	newRefresh func(g *grant) string
}

var specs = map[string]*spec{}

// dialect is one dialect's configuration and state. Everything mutable is
// guarded by mu; no goroutine runs per token.
type dialect struct {
	name string
	em   *Emulator
	spec *spec

	accessTTL, refreshTTL, codeTTL time.Duration
	rotate                         bool
	clients                        map[string]*Client
	users                          []User
	partnerID                      int

	mu      sync.Mutex
	codes   map[string]*codeEntry
	access  map[string]*accessEntry
	refresh map[string]*grant // current refresh token → grant
	retired map[string]*grant // recently rotated-away refresh tokens, to recognise reuse
	// ended remembers when recently rotated-away access tokens stopped
	// working, so a test can ask whether a token was good when it was served.
	ended     map[string]endedAccess
	endedList []string
	stats     Stats
	faults    []*Fault
	inserts   int
}

// grant is one seller's consent to one client: the unit that rotation,
// expiry and revocation act on.
type grant struct {
	key        string // random id; Depop embeds it in both tokens
	clientID   string
	user       User
	scopes     []string
	consentAt  time.Time
	refreshTok string
	refreshExp time.Time
	accessToks []string // live access tokens (one with rotation)
	retired    []string // last few refresh tokens rotation replaced
	revoked    bool
	inflight   int // refresh requests in flight
}

type accessEntry struct {
	g      *grant
	exp    time.Time
	scopes []string
}

type endedAccess struct {
	at, exp time.Time // when rotation ended it; when it would have expired
}

type codeEntry struct {
	clientID    string
	redirectURI string
	challenge   string
	scopes      []string
	user        User
	exp         time.Time
}

const (
	keepRetired = 4    // rotated-away refresh tokens remembered per grant
	keepAccess  = 8    // live access tokens kept per grant without rotation
	keepEnded   = 4096 // rotated-away access tokens remembered per dialect
)

func newDialect(e *Emulator, name string, o Dialect) *dialect {
	sp := specs[name]
	def := sp.defaults()
	d := &dialect{
		name: name, em: e, spec: sp,
		codes: map[string]*codeEntry{}, access: map[string]*accessEntry{},
		refresh: map[string]*grant{}, retired: map[string]*grant{},
		ended: map[string]endedAccess{},
	}
	sec := func(v, dflt int) time.Duration {
		if v <= 0 {
			v = dflt
		}
		return time.Duration(v) * time.Second
	}
	d.accessTTL = sec(o.AccessTTL, sp.accessTTL)
	d.refreshTTL = sec(o.RefreshTTL, sp.refreshTTL)
	d.codeTTL = sec(o.CodeTTL, sp.codeTTL)
	switch o.Rotation {
	case RotationOn:
		d.rotate = true
	case RotationOff:
		d.rotate = false
	default:
		d.rotate = sp.rotate
	}
	clients := o.Clients
	if clients == nil {
		clients = def.Clients
	}
	d.clients = map[string]*Client{}
	for i := range clients {
		c := clients[i]
		d.clients[c.ID] = &c
	}
	d.users = o.Users
	if d.users == nil {
		d.users = def.Users
	}
	d.partnerID = o.PartnerID
	if d.partnerID == 0 {
		d.partnerID = def.PartnerID
	}
	return d
}

func defaultUser() User {
	return User{Email: TestEmail, Password: TestPassword, ID: "1001", Name: "test-seller"}
}

// user finds the seller who approves: by name, email or id; the first user
// when seller is empty; otherwise an ad-hoc seller of that name (so a
// benchmark can connect many distinct accounts without registering them).
func (d *dialect) user(seller string) User {
	if seller == "" && len(d.users) > 0 {
		return d.users[0]
	}
	for _, u := range d.users {
		if u.Name == seller || u.Email == seller || u.ID == seller {
			return u
		}
	}
	if seller == "" {
		seller = "seller"
	}
	sum := sha256.Sum256([]byte(d.name + "\x00" + seller))
	return User{ID: hex.EncodeToString(sum[:6]), Name: seller}
}

// failure is why a grant operation was refused; each dialect words it.
type failure int

const (
	failNone            failure = iota
	failCodeInvalid             // unknown, used or expired code
	failCodeClient              // code issued to another client
	failRedirect                // redirect_uri differs from the authorization request's
	failVerifierMissing         // code_verifier absent though a challenge was sent
	failVerifierInvalid         // code_verifier malformed or not matching the challenge
	failRefreshInvalid          // unknown, rotated-away, revoked or expired refresh token
	failRefreshClient           // refresh token issued to another client
	failScope                   // refresh scope not a subset of the consented scopes
)

// tokens is what a successful grant operation issued.
type tokens struct {
	g            *grant
	access       string
	refresh      string // empty when a refresh did not rotate
	accessTTL    time.Duration
	refreshLeft  time.Duration // until the refresh token expires
	scopes       []string
	refreshFresh bool // refresh was issued by this operation
}

// storeCode records an authorization code for a consented request.
func (d *dialect) storeCode(c *codeEntry) string {
	code := d.spec.newCode()
	d.em.record(code)
	c.exp = d.em.now().Add(d.codeTTL)
	d.mu.Lock()
	d.codes[code] = c
	d.stats.Approvals++
	d.inserts++
	if d.inserts%256 == 0 {
		d.sweepLocked()
	}
	d.mu.Unlock()
	return code
}

// sweepLocked drops expired codes nobody redeemed.
func (d *dialect) sweepLocked() {
	now := d.em.now()
	for k, c := range d.codes {
		if !now.Before(c.exp) {
			delete(d.codes, k)
		}
	}
}

// redeemCode exchanges an authorization code. A code is single use: any
// attempt to redeem it, successful or not, consumes it.
func (d *dialect) redeemCode(code, clientID, redirectURI string, hasRedirect bool, verifier string) (tokens, failure) {
	now := d.em.now()
	d.mu.Lock()
	c := d.codes[code]
	delete(d.codes, code)
	fail := failNone
	switch {
	case c == nil || !now.Before(c.exp):
		fail = failCodeInvalid
	case c.clientID != clientID:
		fail = failCodeClient
	case !hasRedirect || redirectURI != c.redirectURI:
		fail = failRedirect
	case c.challenge != "" && verifier == "":
		fail = failVerifierMissing
	case c.challenge != "" && (!validVerifier(verifier) || s256(verifier) != c.challenge):
		fail = failVerifierInvalid
	}
	if fail != failNone {
		d.stats.InvalidGrant++
		d.mu.Unlock()
		return tokens{}, fail
	}
	d.stats.CodesExchanged++
	d.mu.Unlock()
	return d.newGrant(clientID, c.user, c.scopes), failNone
}

// newGrant creates a grant with its first tokens (code exchange, sign-in).
func (d *dialect) newGrant(clientID string, u User, scopes []string) tokens {
	g := &grant{key: randHex(16), clientID: clientID, user: u, scopes: scopes}
	at, rt := d.spec.newAccess(g), d.spec.newRefresh(g)
	d.em.record(at, rt)
	now := d.em.now()
	g.consentAt = now
	g.refreshTok = rt
	g.refreshExp = now.Add(d.refreshTTL)
	g.accessToks = []string{at}
	d.mu.Lock()
	d.access[at] = &accessEntry{g: g, exp: now.Add(d.accessTTL), scopes: scopes}
	d.refresh[rt] = g
	d.mu.Unlock()
	return tokens{g: g, access: at, refresh: rt, accessTTL: d.accessTTL, refreshLeft: d.refreshTTL, scopes: scopes, refreshFresh: true}
}

// beginRefresh marks a refresh of the grant tok belongs to as in flight, and
// counts it when another one already is. endRefresh must follow.
func (d *dialect) beginRefresh(tok string) *grant {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.refresh[tok]
	if g == nil {
		g = d.retired[tok]
	}
	if g == nil {
		return nil
	}
	g.inflight++
	if g.inflight > 1 {
		d.stats.ConcurrentRefreshes++
	}
	return g
}

func (d *dialect) endRefresh(g *grant) {
	if g == nil {
		return
	}
	d.mu.Lock()
	g.inflight--
	d.mu.Unlock()
}

// refreshFor runs the refresh grant for a request: counted in flight while
// it runs (so racing refreshes of one grant are seen), after the request's
// injected delay.
func (d *dialect) refreshFor(rc *reqCtx, tok, clientID string, scopes []string) (tokens, failure) {
	g := d.beginRefresh(tok)
	defer d.endRefresh(g)
	rc.delay()
	return d.refreshGrant(tok, clientID, scopes)
}

// refreshGrant runs the refresh grant. scopes nil means the consented ones.
func (d *dialect) refreshGrant(tok, clientID string, scopes []string) (tokens, failure) {
	d.mu.Lock()
	g := d.refresh[tok]
	d.mu.Unlock()
	// New tokens are made outside the lock (eBay's are large); whether they
	// are used is decided under it.
	var at, rt string
	if g != nil {
		at = d.spec.newAccess(g)
		if d.rotate {
			rt = d.spec.newRefresh(g)
		}
	}
	now := d.em.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	scopes, fail := d.checkRefreshLocked(g, tok, clientID, scopes, now)
	if fail != failNone {
		return tokens{}, fail
	}
	d.em.record(at)
	out := tokens{g: g, access: at, accessTTL: d.accessTTL, scopes: scopes}
	if d.rotate {
		d.em.record(rt)
		d.rotateLocked(g, tok, rt, now)
		out.refresh, out.refreshFresh = rt, true
	} else {
		d.pruneAccessLocked(g, now)
		out.refresh = tok
	}
	d.access[at] = &accessEntry{g: g, exp: now.Add(d.accessTTL), scopes: scopes}
	g.accessToks = append(g.accessToks, at)
	out.refreshLeft = g.refreshExp.Sub(now)
	d.stats.Refreshes++
	return out, failNone
}

// checkRefreshLocked decides whether refresh token tok of grant g (nil when
// it is not a live one) may be used by clientID for scopes, and returns the
// scopes the new access token gets.
func (d *dialect) checkRefreshLocked(g *grant, tok, clientID string, scopes []string, now time.Time) ([]string, failure) {
	if g == nil || d.refresh[tok] != g || g.revoked {
		// Rotated away (perhaps by a racing refresh), revoked or never issued.
		d.stats.InvalidGrant++
		d.detectReuseLocked(tok)
		return nil, failRefreshInvalid
	}
	if !now.Before(g.refreshExp) {
		d.stats.InvalidGrant++
		d.dropLocked(g)
		return nil, failRefreshInvalid
	}
	if g.clientID != clientID {
		d.stats.InvalidGrant++
		return nil, failRefreshClient
	}
	if scopes == nil {
		return g.scopes, failNone
	}
	for _, s := range scopes {
		if !slices.Contains(g.scopes, s) {
			return nil, failScope
		}
	}
	return scopes, failNone
}

// detectReuseLocked is reuse detection (RFC 9700 §4.14.2), as real servers
// do it: a replaced refresh token presented again revokes the whole grant,
// the tokens it gave since included.
func (d *dialect) detectReuseLocked(tok string) {
	rg := d.retired[tok]
	if rg == nil {
		return
	}
	d.stats.ReusedRefresh++
	if !rg.revoked {
		d.revoke(rg)
		d.stats.ReuseRevocations++
	}
}

// rotateLocked replaces g's refresh token tok with rt: the previous access
// and refresh tokens die at once.
func (d *dialect) rotateLocked(g *grant, tok, rt string, now time.Time) {
	for _, a := range g.accessToks {
		if e := d.access[a]; e != nil {
			d.endLocked(a, now, e.exp)
		}
		delete(d.access, a)
	}
	g.accessToks = g.accessToks[:0]
	delete(d.refresh, tok)
	d.retireLocked(g, tok)
	g.refreshTok = rt
	d.refresh[rt] = g
	if d.spec.life == lifeFromIssue {
		g.refreshExp = now.Add(d.refreshTTL)
	}
}

// pruneAccessLocked drops g's expired access tokens, and the oldest when
// keepAccess are live: without rotation earlier access tokens live on until
// they expire.
func (d *dialect) pruneAccessLocked(g *grant, now time.Time) {
	live := g.accessToks[:0]
	for _, a := range g.accessToks {
		if e := d.access[a]; e != nil && now.Before(e.exp) {
			live = append(live, a)
		} else {
			delete(d.access, a)
		}
	}
	if len(live) >= keepAccess {
		delete(d.access, live[0])
		live = append(live[:0], live[1:]...)
	}
	g.accessToks = live
}

// endLocked notes that rotation ended access token a at now.
func (d *dialect) endLocked(a string, now, exp time.Time) {
	d.ended[a] = endedAccess{at: now, exp: exp}
	d.endedList = append(d.endedList, a)
	if len(d.endedList) > keepEnded {
		delete(d.ended, d.endedList[0])
		d.endedList = d.endedList[1:]
	}
}

func (d *dialect) retireLocked(g *grant, tok string) {
	d.retired[tok] = g
	g.retired = append(g.retired, tok)
	if len(g.retired) > keepRetired {
		delete(d.retired, g.retired[0])
		g.retired = append(g.retired[:0], g.retired[1:]...)
	}
}

// grantOf finds the grant a token (access, refresh or rotated-away refresh) belongs to.
func (d *dialect) grantOf(tok string) *grant {
	if a := d.access[tok]; a != nil {
		return a.g
	}
	if g := d.refresh[tok]; g != nil {
		return g
	}
	return d.retired[tok]
}

// revoke ends a grant: every token of it stops working at once.
func (d *dialect) revoke(g *grant) {
	d.dropLocked(g)
	d.stats.Revocations++
}

// dropLocked forgets every token of a grant.
func (d *dialect) dropLocked(g *grant) {
	for _, a := range g.accessToks {
		delete(d.access, a)
	}
	for _, r := range g.retired {
		delete(d.retired, r)
	}
	if d.refresh[g.refreshTok] == g {
		delete(d.refresh, g.refreshTok)
	}
	g.accessToks, g.retired = nil, nil
	g.revoked = true
}

// bearer checks an API call's access token. It returns the seller and 0, or
// 401 (missing, unknown, expired, revoked) or 403 (scope missing).
func (d *dialect) bearer(r *http.Request) (User, int) {
	tok, ok := bearerToken(r)
	now := d.em.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	var a *accessEntry
	if ok {
		a = d.access[tok]
	}
	if a == nil || a.g.revoked || !now.Before(a.exp) {
		d.stats.TestCallsRejected++
		return User{}, http.StatusUnauthorized
	}
	if d.spec.testScope != "" && !slices.Contains(a.scopes, d.spec.testScope) {
		d.stats.TestCallsRejected++
		return User{}, http.StatusForbidden
	}
	d.stats.TestCalls++
	return a.g.user, 0
}
