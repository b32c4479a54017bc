package accounts

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// scrub replaces every known secret in text by its redacted form. The oauth
// package already redacts what it logs; this is the second line of defence
// for anything the service writes (timeline, errors, reports, log).
func scrub(text string, secrets []string) string {
	if len(secrets) == 0 || text == "" {
		return text
	}
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, v := range sorted {
		if len(v) >= 6 && strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, oauth.Redact(v))
		}
	}
	return text
}

// scrubAny scrubs strings inside a JSON-like value.
func scrubAny(v any, secrets []string) any {
	switch t := v.(type) {
	case string:
		return scrub(t, secrets)
	case map[string]any:
		for k, x := range t {
			t[k] = scrubAny(x, secrets)
		}
		return t
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = scrub(x, secrets)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = scrubAny(x, secrets)
		}
		return t
	}
	return v
}

// tokenish finds long opaque strings after a bearer-like keyword, for
// scrubbing text whose secrets the service does not know (log lines from
// errors of other layers).
var (
	bearerish = regexp.MustCompile(`(?i)(bearer|basic)\s+([A-Za-z0-9._~+/=-]{12,})`)
	// keyed finds a credential after its name, as a form field, a query
	// parameter or a JSON member.
	keyed = regexp.MustCompile(`(?i)((?:access_token|refresh_token|id_token|client_secret|code_verifier|password|api_key|apikey|secret)"?\s*[:=]\s*"?)([^"&\s,}]{6,})`)
	// opaque finds long unbroken strings of token characters mixing
	// letters and digits, which is what tokens look like.
	opaque = regexp.MustCompile(`[A-Za-z0-9_~+/^#-]{40,}={0,2}`)
)

// scrubPatterns redacts what looks like a credential in text whose secrets
// the service does not know (log lines from errors of other layers).
func scrubPatterns(text string) string {
	text = bearerish.ReplaceAllStringFunc(text, func(m string) string {
		sub := bearerish.FindStringSubmatch(m)
		return sub[1] + " " + oauth.Redact(sub[2])
	})
	text = keyed.ReplaceAllStringFunc(text, func(m string) string {
		sub := keyed.FindStringSubmatch(m)
		if strings.Contains(sub[2], "…") {
			return m // already redacted
		}
		return sub[1] + oauth.Redact(sub[2])
	})
	return opaque.ReplaceAllStringFunc(text, func(m string) string {
		if !strings.ContainsAny(m, "0123456789") || strings.Count(m, "/") > 3 {
			return m // words or a path, not a token
		}
		return oauth.Redact(m)
	})
}

func errorInfo(err error, now time.Time, secrets []string) *storage.ErrorInfo {
	info := &storage.ErrorInfo{Time: now, Message: scrub(err.Error(), secrets)}
	if oe, ok := oauth.AsError(err); ok {
		info.Kind, info.Op, info.Status = string(oe.Kind), oe.Op, oe.Status
		info.Code, info.Description = scrub(oe.Code, secrets), scrub(oe.Description, secrets)
		info.RequestID, info.TraceID, info.Advice = oe.RequestID, oe.TraceID, oe.Advice
		return info
	}
	var ke *storage.KeychainError
	if errors.As(err, &ke) {
		info.Kind, info.Op, info.Advice = "keychain_"+string(ke.Kind), "keychain "+ke.Op, ke.Advice
		return info
	}
	info.Kind = "other"
	return info
}

func errorDetail(err error, secrets []string) map[string]any {
	info := errorInfo(err, time.Time{}, secrets)
	d := map[string]any{"kind": info.Kind, "message": info.Message}
	add := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	add("op", info.Op)
	add("error", info.Code)
	add("error_description", info.Description)
	add("request_id", info.RequestID)
	add("trace_id", info.TraceID)
	add("advice", info.Advice)
	if info.Status != 0 {
		d["status"] = info.Status
	}
	if oe, ok := oauth.AsError(err); ok && oe.RetryAfter > 0 {
		d["retry_after"] = oe.RetryAfter.String()
	}
	return d
}

// addEntry appends a timeline entry (the last TimelineLimit are kept) and
// marks the record for saving.
func (s *Service) addEntry(a *account, kind, summary string, detail map[string]any) {
	a.mu.Lock()
	e := storage.TimelineEntry{Time: s.clock.Now(), Kind: kind, Summary: scrub(summary, a.secrets)}
	if detail != nil {
		e.Detail = scrubAny(detail, a.secrets).(map[string]any)
	}
	a.appendEntry(e)
	a.mu.Unlock()
	s.persist.mark(a.id)
}

// appendEntry queues e for the store, which keeps the newest
// TimelineLimit entries of which RoutineLimit routine ones (see
// timelineKeep). Until written, the queue is bounded the same way.
func (a *account) appendEntry(e storage.TimelineEntry) {
	e.Routine = routine(e)
	a.entries = append(a.entries, e)
	if n := len(a.entries); n > TimelineLimit {
		a.entries = append(a.entries[:0:0], a.entries[n-TimelineLimit:]...)
	}
}

// timelineKeep bounds every account's timeline in the store. Successful
// exchanges repeat every refresh and say little once a few are there;
// failures are what support needs, so they stay in view longer.
var timelineKeep = storage.TimelineKeep{All: TimelineLimit, Routine: RoutineLimit}

// RoutineLimit is how many successful exchanges a timeline keeps.
const RoutineLimit = 10

// routine reports whether e is an exchange the provider answered with 2xx.
func routine(e storage.TimelineEntry) bool {
	if e.Kind != "exchange" || e.Detail["error"] != nil {
		return false
	}
	var status int
	switch v := e.Detail["status"].(type) {
	case int:
		status = v
	case float64: // read back from JSON
		status = int(v)
	}
	return status >= 200 && status < 300
}

// maxDetailBody bounds the bodies kept in a persisted timeline entry.
const maxDetailBody = 2 << 10

func clipBody(s string) string {
	if len(s) > maxDetailBody {
		cut := maxDetailBody
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // never half a character
		}
		return s[:cut] + "…(cut)"
	}
	return s
}

// recordExchange turns the oauth exchange log into timeline entries.
func (s *Service) recordExchange(a *account, x oauth.Exchange, trigger string) {
	summary := fmt.Sprintf("%s: %s %s → ", x.Op, x.Method, x.URL)
	if x.Status != 0 {
		summary += strconv.Itoa(x.Status)
	} else {
		summary += "no answer"
	}
	summary += fmt.Sprintf(" in %d ms", x.Latency.Milliseconds())
	if x.Error != "" {
		summary += " (" + x.Error + ")"
	}
	d := map[string]any{
		"op": x.Op, "method": x.Method, "url": x.URL, "status": x.Status,
		"latency_ms": x.Latency.Milliseconds(), "trigger": trigger,
	}
	if len(x.RequestHeaders) > 0 {
		h := map[string]any{}
		for k, v := range x.RequestHeaders {
			h[k] = v
		}
		d["request_headers"] = h
	}
	if x.RequestBody != "" {
		d["request_body"] = clipBody(x.RequestBody)
	}
	if x.ResponseBody != "" {
		d["response_body"] = clipBody(x.ResponseBody)
	}
	if x.Error != "" {
		d["error"] = x.Error
	}
	a.mu.Lock()
	e := storage.TimelineEntry{Time: x.Time, Kind: "exchange", Summary: scrub(summary, a.secrets),
		Detail: scrubAny(d, a.secrets).(map[string]any)}
	if e.Time.IsZero() {
		e.Time = s.clock.Now()
	}
	a.appendEntry(e)
	a.mu.Unlock()
	s.persist.mark(a.id)
}

// announce publishes a's snapshot; a status change also goes to the
// timeline. kind "" means EventUpdated.
func (s *Service) announce(a *account, kind EventKind) {
	if kind == "" {
		kind = EventUpdated
	}
	now := s.clock.Now()
	v := s.view(a, now, false)
	a.mu.Lock()
	prev := Status(a.rec.Status)
	changed := v.Status != prev && v.Status != StatusRefreshing
	if changed {
		a.rec.Status, a.rec.StatusReason = string(v.Status), v.Reason
		e := storage.TimelineEntry{Time: now, Kind: "status",
			Summary: scrub(fmt.Sprintf("%s → %s: %s", orNew(prev), v.Status, v.Reason), a.secrets)}
		a.appendEntry(e)
	} else if v.Status != StatusRefreshing {
		a.rec.StatusReason = v.Reason
	}
	a.rec.LastError = a.lastErr
	a.mu.Unlock()
	s.persist.mark(a.id)
	if changed {
		s.logf("account %s: %s", a.id, v.Status)
	}
	s.hub.publish(Event{Kind: kind, Account: v})
}

func orNew(s Status) string {
	if s == "" {
		return "new"
	}
	return string(s)
}

// persister writes changed records and new timeline entries in batches,
// in one transaction: a token is what must never be lost (it is saved at
// once, two-phase, by the store); records carry status and diagnostics, so
// coalescing their writes keeps thousands of accounts cheap.
type persister struct {
	s       *Service
	mu      sync.Mutex
	dirty   map[string]bool
	timer   *time.Timer
	delay   time.Duration
	flushMu sync.Mutex
}

func (p *persister) init(s *Service) {
	p.s = s
	p.dirty = map[string]bool{}
	p.delay = 300 * time.Millisecond
}

func (p *persister) mark(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dirty[id] = true
	p.arm()
}

func (p *persister) drop(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.dirty, id)
}

func (p *persister) arm() {
	if p.timer == nil {
		p.timer = time.AfterFunc(p.delay, func() {
			if err := p.flushNow(); err != nil {
				p.s.logf("saving account records: %v", err)
			}
		})
	}
}

// flushNow writes the pending changes. Only accounts still in the store
// are written: one another process disconnected is forgotten here.
func (p *persister) flushNow() error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	dirty := p.dirty
	p.dirty = map[string]bool{}
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.mu.Unlock()
	if len(dirty) == 0 {
		return nil
	}
	updates := make(map[string]storage.RecordUpdate, len(dirty))
	taken := map[*account]int{}
	for id := range dirty {
		p.s.mu.RLock()
		a := p.s.accts[id]
		p.s.mu.RUnlock()
		if a == nil {
			continue
		}
		a.mu.Lock()
		if !a.removed {
			r := a.rec
			r.Timeline = nil
			if r.Status == string(StatusRefreshing) {
				r.Status = string(StatusConnected)
			}
			if a.unsaved {
				r.Status = string(StatusNotSaved)
			}
			updates[id] = storage.RecordUpdate{Record: &r, Entries: append([]storage.TimelineEntry(nil), a.entries...)}
			taken[a] = len(a.entries)
		}
		a.mu.Unlock()
	}
	start := time.Now()
	gone, err := p.s.store.UpdateAccounts(updates, timelineKeep)
	took := time.Since(start)
	if err == nil {
		// The entries written leave the queue; newer ones stay for the next.
		for a, n := range taken {
			a.mu.Lock()
			a.entries = append(a.entries[:0:0], a.entries[min(n, len(a.entries)):]...)
			a.mu.Unlock()
		}
	}
	p.mu.Lock()
	if err != nil {
		for id := range dirty {
			p.dirty[id] = true // kept for the next try
		}
	}
	// Slow writes (thousands of accounts) space out the next ones.
	p.delay = max(300*time.Millisecond, min(10*took, 10*time.Second))
	if len(p.dirty) > 0 {
		p.arm()
	}
	p.mu.Unlock()
	for _, id := range gone {
		if a, ok := p.s.inMemory(id); ok {
			p.s.forget(a)
		}
	}
	return err
}

// tick runs on the scheduler's coarse tick: when another process wrote to
// the store, it picks up accounts added or removed there.
func (s *Service) tick() {
	if changed, err := s.store.Changed(); err != nil || !changed {
		return
	}
	rows, err := s.store.Accounts()
	if err != nil {
		return
	}
	now := s.clock.Now()
	have := make(map[string]bool, len(rows))
	for _, r := range rows {
		have[r.ID] = true
		if a, added := s.adoptRow(r, now); added {
			s.announce(a, EventAdded)
		}
	}
	for _, a := range s.snapshotAccounts() {
		if !have[a.id] {
			s.forget(a)
		}
	}
}

// inMemory returns the account if this process holds it.
func (s *Service) inMemory(id string) (*account, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.accts[id]
	return a, a != nil
}

// forget drops an account from memory (its row and secret are gone).
func (s *Service) forget(a *account) {
	s.mu.Lock()
	delete(s.accts, a.id)
	s.mu.Unlock()
	s.sched.Cancel(a.id)
	s.persist.drop(a.id)
	a.mu.Lock()
	already := a.removed
	a.removed = true
	provider := a.rec.Provider
	a.mu.Unlock()
	if !already {
		s.hub.publish(Event{Kind: EventRemoved, Account: Account{ID: a.id, Provider: provider, Status: StatusDisconnected}})
	}
}
