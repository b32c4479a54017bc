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
// accepts exactly one callback: the first request on its path that carries
// the attempt's state. Anything else (a wrong or missing state, error
// callbacks included, which any local process or web page could send) gets
// a 400 page and changes nothing; other paths (a favicon) get a 404.
type Loopback struct {
	profile  *Profile
	path     string
	listener net.Listener
	server   *http.Server
	served   chan struct{} // closed when the server has stopped
	uri      string

	mu       sync.Mutex
	state    string // set by Wait
	done     bool   // the callback has been taken
	result   chan callbackResult
	early    []callbackRequest // requests that came before Wait knew the state
	waitOnce sync.Once
}

type callbackResult struct {
	code string
	err  error
}

// verdict is what one request to the redirect path got.
type verdict int

const (
	verdictTaken   verdict = iota // it was the attempt's callback
	verdictForeign                // no matching state: ignored
	verdictRepeat                 // matching state, but the callback was already taken
	verdictBusy                   // too many requests before the state was known
)

type callbackReply struct {
	verdict verdict
	callbackResult
}

type callbackRequest struct {
	q     map[string][]string
	reply chan callbackReply
}

// maxEarly bounds the requests held while Wait has not yet said the state.
const maxEarly = 32

var pages = struct {
	success, failure *template.Template
}{
	template.Must(template.New("success").Parse(assets.SuccessPage)),
	template.Must(template.New("failure").Parse(assets.FailurePage)),
}

type pageData struct{ Title, Message, Detail string }

// ListenLoopback starts listening on 127.0.0.1: on any free port for
// loopback profiles, on the registered port for loopback-fixed ones. A
// taken fixed port is a *Error naming it, as is a redirect.path that
// Profile.Validate would refuse.
func ListenLoopback(p *Profile) (*Loopback, error) {
	path := p.Redirect.Path
	if path == "" {
		path = "/callback"
	}
	if err := checkRedirectPath(path); err != nil {
		return nil, configError("callback", "redirect.path of %s: %v", p.Name, err)
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
	return listen(p, path, port)
}

// listenLoopback is ListenLoopback for a resolved profile, whose redirect
// is already checked and its path defaulted.
func listenLoopback(p *Profile) (*Loopback, error) {
	port := 0
	if p.Redirect.Mode == RedirectLoopbackFixed {
		port = p.Redirect.Port
	}
	return listen(p, p.Redirect.Path, port)
}

// listen starts the receiver for path on port (0: any free one).
func listen(p *Profile, path string, port int) (*Loopback, error) {
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
		path:     path,
		listener: ln,
		uri:      fmt.Sprintf("http://127.0.0.1:%d%s", ln.Addr().(*net.TCPAddr).Port, path),
		result:   make(chan callbackResult, 1),
		served:   make(chan struct{}),
	}
	// The path is compared, not handed to http.ServeMux as a pattern: a
	// provider file must not be able to make the pattern parser panic.
	l.server = &http.Server{
		Handler:           http.HandlerFunc(l.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go func() {
		defer close(l.served)
		_ = l.server.Serve(ln)
	}()
	return l, nil
}

// RedirectURI is the redirect_uri to send: http://127.0.0.1:PORT/PATH.
func (l *Loopback) RedirectURI() string { return l.uri }

// Wait returns the code of the callback that carries state, once. Requests
// without that state are refused and the wait goes on; the attempt's own
// callback ends it, with a *Error when it is an error callback. It ends
// with KindCancelled when ctx ends.
func (l *Loopback) Wait(ctx context.Context, state string) (string, error) {
	first := false
	l.waitOnce.Do(func() { first = true })
	if !first {
		return "", configError("callback", "Wait was already called on this receiver")
	}
	if state == "" {
		return "", configError("callback", "Wait needs the state the authorization request sent")
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

// hasState reports whether q carries exactly one state and it is want.
func hasState(q map[string][]string, want string) bool {
	s := q["state"]
	return len(s) == 1 && stateEqual(s[0], want)
}

// decide answers one request once the state is known: only the first one
// carrying the state is the callback.
func (l *Loopback) decide(r callbackRequest) {
	l.mu.Lock()
	state := l.state
	if !hasState(r.q, state) {
		l.mu.Unlock()
		r.reply <- callbackReply{verdict: verdictForeign}
		return
	}
	if l.done {
		l.mu.Unlock()
		r.reply <- callbackReply{verdict: verdictRepeat}
		return
	}
	l.done = true
	l.mu.Unlock()
	code, err := parseCallback(r.q, state)
	res := callbackResult{code: code, err: err}
	l.result <- res
	r.reply <- callbackReply{verdict: verdictTaken, callbackResult: res}
}

func (l *Loopback) serve(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if !l.admit(w, req) {
		return
	}
	r := callbackRequest{q: req.URL.Query(), reply: make(chan callbackReply, 1)}
	l.submit(r)
	select {
	case res := <-r.reply:
		l.answer(w, res)
	case <-req.Context().Done():
	}
}

// admit answers, and refuses, a request that cannot be a callback: another
// path (a favicon), a method other than GET or HEAD, or a host other than
// the receiver's own address.
func (l *Loopback) admit(w http.ResponseWriter, req *http.Request) bool {
	if req.URL.Path != l.path {
		http.NotFound(w, req)
		return false
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	// Only a browser aimed at this receiver's own address counts; a page
	// that rebinds some DNS name to 127.0.0.1 does not.
	if host, _, err := net.SplitHostPort(req.Host); err != nil || (host != "127.0.0.1" && host != "localhost") {
		http.Error(w, "wrong host", http.StatusMisdirectedRequest)
		return false
	}
	return true
}

// submit has r decided now when the state is known, or kept until Wait
// says it (a bounded number of them).
func (l *Loopback) submit(r callbackRequest) {
	l.mu.Lock()
	switch {
	case l.state != "":
		l.mu.Unlock()
		l.decide(r)
	case len(l.early) >= maxEarly:
		l.mu.Unlock()
		r.reply <- callbackReply{verdict: verdictBusy}
	default:
		// The browser beat Wait: keep the request until the state is known.
		l.early = append(l.early, r)
		l.mu.Unlock()
	}
}

// answer shows the browser the page for a request's verdict.
func (l *Loopback) answer(w http.ResponseWriter, res callbackReply) {
	switch res.verdict {
	case verdictForeign:
		// Nothing from the request is echoed: it may come from anyone.
		l.render(w, http.StatusBadRequest, pages.failure, pageData{
			Title:   "Not accepted",
			Message: "This address does not belong to the connection SellerConnect is waiting for, so it was ignored. Finish approving in the browser window SellerConnect opened.",
		})
	case verdictRepeat:
		l.render(w, http.StatusConflict, pages.failure, pageData{
			Title:   "Already finished",
			Message: "This connection attempt has already received its answer. Return to SellerConnect.",
		})
	case verdictBusy:
		w.Header().Set("Retry-After", "1")
		l.render(w, http.StatusServiceUnavailable, pages.failure, pageData{
			Title:   "Busy",
			Message: "SellerConnect is not ready for this address yet. Reload the page in a moment.",
		})
	case verdictTaken:
		if res.err == nil {
			l.render(w, http.StatusOK, pages.success, pageData{
				Title:   "Approved",
				Message: "SellerConnect received the approval for " + l.profile.Name + " and is finishing the connection.",
			})
			return
		}
		l.render(w, http.StatusBadRequest, pages.failure, l.failure(res.err))
	}
}

// failure is the page of the attempt's own callback that failed: what the
// provider said (an error callback) and what to do.
func (l *Loopback) failure(err error) pageData {
	data := pageData{Title: "Not connected", Message: "SellerConnect could not finish connecting " + l.profile.Name + "."}
	e, ok := AsError(err)
	if !ok {
		return data
	}
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
	return data
}

func (l *Loopback) render(w http.ResponseWriter, status int, t *template.Template, data pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

// Close stops listening, letting a page being written finish first, and
// returns once the server has stopped.
func (l *Loopback) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := l.server.Shutdown(ctx)
	if err != nil {
		err = l.server.Close()
	}
	<-l.served
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
