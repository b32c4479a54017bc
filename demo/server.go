// Package demo serves the Demo marketplace: a pretend marketplace inside
// SellerConnect that behaves like a strict OAuth 2.0 provider (RFC 6749,
// 7636 PKCE, 7009 revocation), so a newcomer can connect accounts and watch
// them refresh without a real seller account.
//
// It listens on 127.0.0.1 only. Its grants live in the shared database
// (storage.DB), so every SellerConnect process serves the same marketplace
// and a Demo account survives restarts: a token issued through one
// process's server is accepted by another's, and a rotation at one is seen
// at once by all.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sellerconnect/sellerconnect/storage"
)

// ClientID is the Demo marketplace's one client: SellerConnect, public
// (no secret), with loopback redirects on any port.
const ClientID = "sellerconnect-demo"

// Lifetimes of the Demo marketplace's codes and tokens.
const (
	DefaultAccessTTL = 2 * time.Minute
	RefreshTTL       = 30 * 24 * time.Hour // rolling: renewed by every refresh
	CodeTTL          = 10 * time.Minute
)

// Options adjust a Server; the zero value is the real marketplace.
type Options struct {
	// Now is the clock (time.Now when nil); tests pass a fake one.
	Now func() time.Time
	// AccessTTL is the access tokens' lifetime (DefaultAccessTTL when 0).
	AccessTTL time.Duration
}

// Server is one process's Demo marketplace server. Safe for concurrent use.
type Server struct {
	db        *storage.DB
	now       func() time.Time
	accessTTL time.Duration
	consent   []byte // key of this server's consent pages (see consentToken)
	handler   http.Handler

	mu      sync.Mutex
	srv     *http.Server
	url     string
	done    chan struct{}
	sweeper sync.WaitGroup
}

// New returns a server of the marketplace whose grants are in db. It does
// not listen until Start.
func New(db *storage.DB, o Options) *Server {
	s := &Server{db: db, now: o.Now, accessTTL: o.AccessTTL, consent: make([]byte, 32)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.accessTTL <= 0 {
		s.accessTTL = DefaultAccessTTL
	}
	_, _ = rand.Read(s.consent)
	mux := http.NewServeMux()
	mux.HandleFunc("/demo/oauth/authorize", s.serveAuthorize)
	mux.HandleFunc("POST /demo/oauth/token", s.serveToken)
	mux.HandleFunc("POST /demo/oauth/revoke", s.serveRevoke)
	mux.HandleFunc("GET /demo/api/v1/me", s.serveMe)
	mux.HandleFunc("GET /demo/api/v1/shop", s.serveMe)
	s.handler = loopbackOnly(mux)
	return s
}

// loopbackOnly refuses requests whose Host is not this machine's loopback
// name, so a web page that rebinds some DNS name to 127.0.0.1 cannot use
// the marketplace from its own origin.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if host != "127.0.0.1" && host != "localhost" {
			http.Error(w, "the Demo marketplace answers on 127.0.0.1 only", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handler is the server's HTTP handler, for serving it on a listener of
// one's own.
func (s *Server) Handler() http.Handler { return s.handler }

// sweepEvery is how often a running server deletes dead codes and tokens.
const sweepEvery = time.Hour

// Start listens on 127.0.0.1 on a free port and serves in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("demo: server already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s.done = make(chan struct{})
	srv, done := s.srv, s.done
	go func() { _ = srv.Serve(ln) }()
	s.sweeper.Add(1)
	go s.sweep(done)
	return nil
}

// sweep deletes dead rows now and every sweepEvery until done closes. A
// failed sweep is harmless (dead rows are never accepted) and retried.
func (s *Server) sweep(done <-chan struct{}) {
	defer s.sweeper.Done()
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		_, _ = s.db.SweepDemo(s.now())
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

// URL is the server's base address, http://127.0.0.1:PORT ("" before
// Start): Profile.Rebase(URL()) points the Demo profile at it.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// closeWait bounds how long Close waits for requests in progress.
const closeWait = 5 * time.Second

// Close stops the server once the requests in progress are answered (at
// most closeWait, then their connections are dropped), so the database can
// be closed after it. The grants stay in the database.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	s.sweeper.Wait()
	s.srv, s.done = nil, nil
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
