package emulator

import (
	"net/http"
	"strconv"
	"time"
)

// FaultKind is a way the token endpoint misbehaves.
type FaultKind int

const (
	// FaultLatency delays the answer by Fault.Latency; the request is then
	// handled normally. The delay falls inside the refresh's in-flight window,
	// so a second refresh of the same grant arriving meanwhile is counted in
	// Stats.ConcurrentRefreshes.
	FaultLatency FaultKind = iota + 1
	// FaultStatus answers Fault.Status (503 when zero) with a small JSON
	// body, without handling the request.
	FaultStatus
	// FaultRateLimit answers 429 with Retry-After: Fault.RetryAfter seconds
	// (30 when zero), without handling the request.
	FaultRateLimit
	// FaultGarbage answers 200 with a body that is not JSON, without
	// handling the request.
	FaultGarbage
	// FaultHTML answers Fault.Status (200 when zero) with an HTML page, as a
	// captive portal or a proxy does, without handling the request.
	FaultHTML
	// FaultDropAfterRotate handles the request completely (a refresh rotates,
	// a code is consumed and its tokens issued) and then closes the
	// connection without answering: the client never learns the new tokens.
	FaultDropAfterRotate
)

func (k FaultKind) String() string {
	switch k {
	case FaultLatency:
		return "latency"
	case FaultStatus:
		return "status"
	case FaultRateLimit:
		return "rate-limit"
	case FaultGarbage:
		return "garbage"
	case FaultHTML:
		return "html"
	case FaultDropAfterRotate:
		return "drop-after-rotate"
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Fault is a misbehaviour of a dialect's token endpoint.
type Fault struct {
	Kind FaultKind
	// Count is how many token requests the fault applies to; 0 means every
	// one until Clear.
	Count      int
	Latency    time.Duration // FaultLatency
	Status     int           // FaultStatus, FaultHTML
	RetryAfter int           // FaultRateLimit, seconds
}

// Inject queues a fault for dialect's token endpoint (code exchange,
// refresh and sign-in requests). Each token request takes the oldest queued
// fault that still has requests left; a fault with Count 0 stays until Clear.
func (e *Emulator) Inject(dialect string, f Fault) {
	d := e.dialect(dialect)
	d.mu.Lock()
	d.faults = append(d.faults, &f)
	d.mu.Unlock()
}

// Clear removes every queued fault of dialect.
func (e *Emulator) Clear(dialect string) {
	d := e.dialect(dialect)
	d.mu.Lock()
	d.faults = nil
	d.mu.Unlock()
}

// takeFault counts a token request and returns the fault it gets, if any.
func (d *dialect) takeFault() *Fault {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stats.TokenRequests++
	if len(d.faults) == 0 {
		return nil
	}
	f := d.faults[0]
	out := *f
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			d.faults = d.faults[1:]
		}
	}
	d.stats.FaultsServed++
	return &out
}

// reqCtx carries one token request through the common endpoint wrapper.
type reqCtx struct {
	r       *http.Request
	latency time.Duration
	delayed bool
	drop    bool
}

// delay applies an injected latency once, at the point the handler chooses
// (inside a refresh's in-flight window) or at the end.
func (rc *reqCtx) delay() {
	if rc.delayed {
		return
	}
	rc.delayed = true
	if rc.latency <= 0 {
		return
	}
	t := time.NewTimer(rc.latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-rc.r.Context().Done():
	}
}

// reply is a token endpoint's JSON answer.
type reply struct {
	status int
	body   any
	header map[string]string
}

// tokenEndpoint wraps a dialect's token handler with the body limit, fault
// injection and the answer (or the dropped connection).
func (d *dialect) tokenEndpoint(h func(rc *reqCtx) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		rc := &reqCtx{r: r}
		if f := d.takeFault(); f != nil {
			switch f.Kind {
			case FaultLatency:
				rc.latency = f.Latency
			case FaultDropAfterRotate:
				rc.drop = true
			case FaultRateLimit:
				ra := f.RetryAfter
				if ra <= 0 {
					ra = 30
				}
				w.Header().Set("Retry-After", strconv.Itoa(ra))
				writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate_limited", "error_description": "Too many requests"})
				return
			case FaultStatus:
				st := f.Status
				if st == 0 {
					st = http.StatusServiceUnavailable
				}
				writeJSON(w, st, map[string]string{"error": "server_error", "error_description": "The service is temporarily unavailable"})
				return
			case FaultGarbage:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte("\x00\x1f{\"access_tok<<garbage>>"))
				return
			case FaultHTML:
				st := f.Status
				if st == 0 {
					st = http.StatusOK
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(st)
				_, _ = w.Write([]byte("<!doctype html><html><head><title>Sign in to the network</title></head><body><h1>Please sign in to continue</h1></body></html>"))
				return
			}
		}
		rep := h(rc)
		rc.delay()
		if rc.drop {
			// The work is committed; the answer is lost.
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		writeJSON(w, rep.status, rep.body)
	}
}
