package oauth

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func loopbackProfile() *Profile {
	return &Profile{ID: "t", Name: "Test <Market>", Redirect: Redirect{Mode: RedirectLoopback, Path: "/callback"}}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoopbackSuccess(t *testing.T) {
	lb, err := ListenLoopback(loopbackProfile())
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if !strings.HasPrefix(lb.RedirectURI(), "http://127.0.0.1:") || !strings.HasSuffix(lb.RedirectURI(), "/callback") {
		t.Fatalf("redirect uri %s", lb.RedirectURI())
	}
	type res struct {
		code string
		err  error
	}
	done := make(chan res, 1)
	go func() {
		c, err := lb.Wait(context.Background(), "the-state")
		done <- res{c, err}
	}()
	base := strings.TrimSuffix(lb.RedirectURI(), "/callback")
	// A favicon request does not use up the single callback.
	if st, _ := get(t, base+"/favicon.ico"); st != http.StatusNotFound {
		t.Errorf("favicon status %d", st)
	}
	st, body := get(t, lb.RedirectURI()+"?code=the-code&state=the-state")
	if st != http.StatusOK || !strings.Contains(body, "Approved") {
		t.Errorf("status %d body %s", st, body)
	}
	// The profile name is escaped in the page.
	if strings.Contains(body, "<Market>") || !strings.Contains(body, "Test &lt;Market&gt;") {
		t.Errorf("name not escaped: %s", body)
	}
	r := <-done
	if r.err != nil || r.code != "the-code" {
		t.Fatalf("wait = %q %v", r.code, r.err)
	}
	// Exactly one callback: a second one is refused.
	if st, _ := get(t, lb.RedirectURI()+"?code=other&state=the-state"); st != http.StatusConflict {
		t.Errorf("second callback status %d", st)
	}
	if _, err := lb.Wait(context.Background(), "the-state"); KindOf(err) != KindConfig {
		t.Errorf("second Wait: %v", err)
	}
}

func TestLoopbackEarlyCallback(t *testing.T) {
	// The browser may come back before Wait is called.
	lb, err := ListenLoopback(loopbackProfile())
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	page := make(chan int, 1)
	go func() {
		resp, err := http.Get(lb.RedirectURI() + "?code=early&state=s1")
		if err != nil {
			page <- 0
			return
		}
		resp.Body.Close()
		page <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	code, err := lb.Wait(context.Background(), "s1")
	if err != nil || code != "early" {
		t.Fatalf("wait = %q %v", code, err)
	}
	if st := <-page; st != http.StatusOK {
		t.Errorf("page status %d", st)
	}
}

func TestLoopbackErrorCallbacks(t *testing.T) {
	cases := []struct {
		query string
		kind  Kind
		page  string
	}{
		{"error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=s", KindDenied, "Access not granted"},
		{"error=server_error&state=s", KindTemporary, "server_error"},
	}
	for _, tc := range cases {
		lb, err := ListenLoopback(loopbackProfile())
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := lb.Wait(context.Background(), "s")
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond)
		st, body := get(t, lb.RedirectURI()+"?"+tc.query)
		if st != http.StatusBadRequest || !strings.Contains(body, tc.page) {
			t.Errorf("%s: status %d body %s", tc.query, st, body)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("%s: unescaped echo: %s", tc.query, body)
		}
		if err := <-errc; KindOf(err) != tc.kind {
			t.Errorf("%s: err %v", tc.query, err)
		}
		lb.Close()
	}
}

func TestLoopbackRefusesForeignHost(t *testing.T) {
	lb, err := ListenLoopback(loopbackProfile())
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	req, _ := http.NewRequest("GET", lb.RedirectURI()+"?code=c&state=s", nil)
	req.Host = "attacker.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("status %d", resp.StatusCode)
	}
	// Not consumed: the real callback still works.
	go func() { _, _ = get(t, lb.RedirectURI()+"?code=real&state=s") }()
	if code, err := lb.Wait(context.Background(), "s"); code != "real" {
		t.Errorf("wait = %q %v", code, err)
	}
}

func TestLoopbackCancelAndTimeout(t *testing.T) {
	lb, err := ListenLoopback(loopbackProfile())
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = lb.Wait(ctx, "s")
	if e, ok := AsError(err); !ok || e.Kind != KindCancelled || !strings.Contains(e.Advice, "in time") {
		t.Errorf("timeout: %v", err)
	}
	lb2, _ := ListenLoopback(loopbackProfile())
	defer lb2.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := lb2.Wait(ctx2, "s"); KindOf(err) != KindCancelled {
		t.Errorf("cancel: %v", err)
	}
}

func TestLoopbackFixedPort(t *testing.T) {
	// Take a free port, then ask for it while it is held.
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := held.Addr().(*net.TCPAddr).Port
	p := loopbackProfile()
	p.Redirect = Redirect{Mode: RedirectLoopbackFixed, Port: port, Path: "/cb"}
	_, err = ListenLoopback(p)
	e, ok := AsError(err)
	if !ok || e.Kind != KindConfig || !strings.Contains(e.Error(), fmt.Sprint(port)) || !strings.Contains(e.Advice, fmt.Sprint(port)) {
		t.Fatalf("taken port: %v", err)
	}
	held.Close()
	lb, err := ListenLoopback(p)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if lb.RedirectURI() != fmt.Sprintf("http://127.0.0.1:%d/cb", port) {
		t.Errorf("uri %s", lb.RedirectURI())
	}
	if _, err := ListenLoopback(&Profile{Redirect: Redirect{Mode: RedirectPaste}}); KindOf(err) != KindConfig {
		t.Errorf("paste mode: %v", err)
	}
}

// TestLoopbackKeepsWaiting: while a connect waits, requests that do not carry
// the attempt's state (a local process, a web page's <img>, an error
// callback without state) are answered 400 or 404 and do not end the wait;
// the real callback still arrives.
func TestLoopbackKeepsWaiting(t *testing.T) {
	lb, err := ListenLoopback(loopbackProfile())
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	base := strings.TrimSuffix(lb.RedirectURI(), "/callback")
	// One arrives before Wait knows the state.
	early := make(chan int, 1)
	go func() {
		st, _ := get(t, lb.RedirectURI()+"?code=early&state=forged")
		early <- st
	}()
	time.Sleep(30 * time.Millisecond)
	type res struct {
		code string
		err  error
	}
	done := make(chan res, 1)
	go func() {
		c, err := lb.Wait(context.Background(), "the-state")
		done <- res{c, err}
	}()
	if st := <-early; st != http.StatusBadRequest {
		t.Errorf("early forged callback: status %d", st)
	}
	for _, q := range []string{
		"?code=c&state=forged",
		"?code=c",
		"",
		"?error=access_denied",
		"?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		"?error=access_denied&state=forged",
		"?code=c&state=the-state&state=forged",
		"?code=c&state=",
	} {
		st, body := get(t, lb.RedirectURI()+q)
		if st != http.StatusBadRequest {
			t.Errorf("%q: status %d", q, st)
		}
		if !strings.Contains(body, "</html>") || strings.Contains(body, "<script>") || len(body) > 4096 {
			t.Errorf("%q: page %s", q, body)
		}
	}
	for _, path := range []string{"/favicon.ico", "/callback/", "/callbackx", "/Callback", "/"} {
		if st, _ := get(t, base+path+"?code=c&state=the-state"); st != http.StatusNotFound {
			t.Errorf("%s: status %d", path, st)
		}
	}
	select {
	case r := <-done:
		t.Fatalf("the wait ended on a foreign request: %q %v", r.code, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	if st, body := get(t, lb.RedirectURI()+"?code=real&state=the-state"); st != http.StatusOK {
		t.Errorf("real callback: status %d %s", st, body)
	}
	if r := <-done; r.err != nil || r.code != "real" {
		t.Fatalf("wait = %q %v", r.code, r.err)
	}
	// Once finished, a foreign request is still a 400, the real one a 409.
	if st, _ := get(t, lb.RedirectURI()+"?code=x&state=forged"); st != http.StatusBadRequest {
		t.Errorf("after: forged status %d", st)
	}
	if st, _ := get(t, lb.RedirectURI()+"?code=x&state=the-state"); st != http.StatusConflict {
		t.Errorf("after: repeated status %d", st)
	}
}

// TestLoopbackTimesOutDespiteForeignRequests: foreign requests do not
// extend or end the wait; the timeout still does.
func TestLoopbackTimesOutDespiteForeignRequests(t *testing.T) {
	lb, err := ListenLoopback(loopbackProfile())
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := lb.Wait(ctx, "s")
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	get(t, lb.RedirectURI()+"?error=access_denied")
	if err := <-errc; KindOf(err) != KindCancelled || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("got %v", err)
	}
}

func TestLoopbackPathMatchedExactly(t *testing.T) {
	for _, path := range []string{"/cb/{x}", "/a b", "/cb/{", "GET /cb", "/a/../b", "/cb?x=1", "/cb#f", "cb", "//cb", "/cb/{$}"} {
		p := loopbackProfile()
		p.Redirect.Path = path
		lb, err := ListenLoopback(p)
		if err == nil {
			lb.Close()
			t.Errorf("%q: listened", path)
		} else if KindOf(err) != KindConfig {
			t.Errorf("%q: %v", path, err)
		}
	}
	p := loopbackProfile()
	p.Redirect.Path = "/oauth/cb-1.v2_x~"
	lb, err := ListenLoopback(p)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	go func() { _, _ = get(t, lb.RedirectURI()+"?code=c&state=s") }()
	if code, err := lb.Wait(context.Background(), "s"); code != "c" {
		t.Errorf("wait = %q %v", code, err)
	}
}
