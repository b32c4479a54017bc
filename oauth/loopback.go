package oauth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sellerconnect/sellerconnect/assets"
)

// Loopback receives the browser's redirect on 127.0.0.1 (RFC 8252 §7.3). It
// accepts exactly one callback on its path; other paths (a favicon) get a
// 404 and change nothing.
type Loopback struct {
	profile  *Profile
	listener net.Listener
	server   *http.Server
	uri      string

	mu       sync.Mutex
	state    string // set by Wait
	done     bool   // a callback has been taken
	result   chan callbackResult
	early    []callbackRequest // callbacks that came before Wait knew the state
	waitOnce sync.Once
}

type callbackResult struct {
	code string
	err  error
}

type callbackRequest struct {
	q     map[string][]string
	reply chan callbackResult
}

var pages = struct {
	success, failure *template.Template
}{
	template.Must(template.New("success").Parse(assets.SuccessPage)),
	template.Must(template.New("failure").Parse(assets.FailurePage)),
}

type pageData struct{ Title, Message, Detail string }

// ListenLoopback starts listening on 127.0.0.1: on any free port for
// loopback profiles, on the registered port for loopback-fixed ones. A
// taken fixed port is a *Error naming it.
func ListenLoopback(p *Profile) (*Loopback, error) {
	path := p.Redirect.Path
	if path == "" {
		path = "/callback"
	}
	port := 0
	switch p.Redirect.Mode {
	case RedirectLoopback:
	case RedirectLoopbackFixed:
		port = p.Redirect.Port
		if port <= 0 || port > 65535 {
			return nil, configError("callback", "redirect.port %d of %s is not a port", port, p.Name)
		}
	default:
		return nil, configError("callback", "%s does not redirect to a loopback address (redirect.mode %q)", p.Name, p.Redirect.Mode)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if port != 0 {
			e := newError(KindConfig, "callback", fmt.Errorf("cannot listen on 127.0.0.1:%d: %w", port, err))
			if errors.Is(err, syscall.EADDRINUSE) {
				e.Err = fmt.Errorf("port %d on 127.0.0.1 is already in use by another program", port)
			}
			e.Advice = fmt.Sprintf("%s sends the browser back to port %d, which must be free: close the program using it (or another SellerConnect window that is connecting) and try again.", p.Name, port)
			return nil, e
		}
		return nil, newError(KindConfig, "callback", fmt.Errorf("cannot listen on 127.0.0.1: %w", err))
	}
	l := &Loopback{
		profile:  p,
		listener: ln,
		uri:      fmt.Sprintf("http://127.0.0.1:%d%s", ln.Addr().(*net.TCPAddr).Port, path),
		result:   make(chan callbackResult, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(path, l.serveCallback)
	l.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go func() { _ = l.server.Serve(ln) }()
	return l, nil
}

// RedirectURI is the redirect_uri to send: http://127.0.0.1:PORT/PATH.
func (l *Loopback) RedirectURI() string { return l.uri }

// Wait returns the code of the first callback on the redirect path, once:
// its state must equal state; an error callback or a different state ends
// the wait with a *Error. It ends with KindCancelled when ctx ends.
func (l *Loopback) Wait(ctx context.Context, state string) (string, error) {
	first := false
	l.waitOnce.Do(func() { first = true })
	if !first {
		return "", configError("callback", "Wait was already called on this receiver")
	}
	l.mu.Lock()
	l.state = state
	early := l.early
	l.early = nil
	l.mu.Unlock()
	for _, r := range early {
		l.decide(r)
	}
	select {
	case r := <-l.result:
		return r.code, r.err
	case <-ctx.Done():
		e := newError(KindCancelled, "callback", ctx.Err())
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.Advice = "The browser did not come back in time. Start connecting again and approve the request in the browser."
		}
		return "", e
	}
}

// decide turns one callback request into the flow's result; only the first
// one counts.
func (l *Loopback) decide(r callbackRequest) {
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		r.reply <- callbackResult{err: errors.New("already finished")}
		return
	}
	l.done = true
	state := l.state
	l.mu.Unlock()
	code, err := parseCallback(r.q, state)
	res := callbackResult{code: code, err: err}
	l.result <- res
	r.reply <- res
}

func (l *Loopback) serveCallback(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Only a browser aimed at this receiver's own address counts; a page
	// that rebinds some DNS name to 127.0.0.1 does not.
	if host, _, err := net.SplitHostPort(req.Host); err != nil || (host != "127.0.0.1" && host != "localhost") {
		http.Error(w, "wrong host", http.StatusMisdirectedRequest)
		return
	}
	r := callbackRequest{q: req.URL.Query(), reply: make(chan callbackResult, 1)}
	l.mu.Lock()
	switch {
	case l.done:
		l.mu.Unlock()
		l.render(w, http.StatusConflict, pages.failure, pageData{
			Title:   "Already finished",
			Message: "This connection attempt has already received its answer. Return to SellerConnect.",
		})
		return
	case l.state == "":
		// The browser beat Wait: keep the request until the state is known.
		l.early = append(l.early, r)
		l.mu.Unlock()
	default:
		l.mu.Unlock()
		go l.decide(r)
	}
	var res callbackResult
	select {
	case res = <-r.reply:
	case <-req.Context().Done():
		return
	}
	if res.err == nil {
		l.render(w, http.StatusOK, pages.success, pageData{
			Title:   "Approved",
			Message: "SellerConnect received the approval for " + l.profile.Name + " and is finishing the connection.",
		})
		return
	}
	data := pageData{Title: "Not connected", Message: "SellerConnect could not finish connecting " + l.profile.Name + "."}
	if e, ok := AsError(res.err); ok {
		data.Message = e.Advice
		switch {
		case e.Kind == KindDenied:
			data.Title = "Access not granted"
		case e.Code == CodeStateMismatch:
			data.Title = "Not accepted"
		}
		if e.Code != "" && e.Code != CodeStateMismatch {
			data.Detail = e.Code
			if e.Description != "" {
				data.Detail += ": " + e.Description
			}
		}
	}
	l.render(w, http.StatusBadRequest, pages.failure, data)
}

func (l *Loopback) render(w http.ResponseWriter, status int, t *template.Template, data pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

// Close stops listening, letting a page being written finish first.
func (l *Loopback) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := l.server.Shutdown(ctx)
	if err != nil {
		err = l.server.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
