package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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
var bearerish = regexp.MustCompile(`(?i)(bearer|basic)\s+([A-Za-z0-9._~+/=-]{12,})`)

func scrubPatterns(text string) string {
	return bearerish.ReplaceAllStringFunc(text, func(m string) string {
		sub := bearerish.FindStringSubmatch(m)
		return sub[1] + " " + oauth.Redact(sub[2])
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

func (a *account) appendEntry(e storage.TimelineEntry) {
	tl := append(a.rec.Timeline, e)
	// Successful exchanges repeat every refresh and say little once a few
	// are there; failures are what support needs. Keep the last
	// RoutineLimit successes, so a healthy account's timeline (and the
	// records file, rewritten on every save) stays small while failures
	// stay in view longer.
	if routine(e) {
		n := 0
		for i := len(tl) - 1; i >= 0; i-- {
			if routine(tl[i]) {
				if n++; n > RoutineLimit {
					tl = append(tl[:i:i], tl[i+1:]...)
					break
				}
			}
		}
	}
	if n := len(tl); n > TimelineLimit {
		tl = append(tl[:0:0], tl[n-TimelineLimit:]...)
	}
	a.rec.Timeline = tl
}

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
		return s[:maxDetailBody] + "…(cut)"
	}
	return s
}

// recordExchange turns the oauth exchange log into timeline entries.
func (s *Service) recordExchange(a *account, x oauth.Exchange) {
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
		"latency_ms": x.Latency.Milliseconds(),
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

// persister writes changed records in batches: a token is what must never
// be lost (it lives in the keychain, written at once); records carry
// status and diagnostics, so coalescing their writes keeps thousands of
// accounts from rewriting the file thousands of times.
type persister struct {
	s       *Service
	mu      sync.Mutex
	dirty   map[string]bool
	gone    map[string]bool
	timer   *time.Timer
	delay   time.Duration
	flushMu sync.Mutex
	stamp   fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func (p *persister) init(s *Service) {
	p.s = s
	p.dirty = map[string]bool{}
	p.gone = map[string]bool{}
	p.delay = 300 * time.Millisecond
}

func (p *persister) mark(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dirty[id] = true
	p.arm()
}

func (p *persister) remove(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.dirty, id)
	p.gone[id] = true
	p.arm()
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

// flushNow writes the pending changes, merging them into the file under its
// lock so other processes' records survive.
func (p *persister) flushNow() error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	dirty, gone := p.dirty, p.gone
	p.dirty, p.gone = map[string]bool{}, map[string]bool{}
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.mu.Unlock()
	if len(dirty) == 0 && len(gone) == 0 {
		return nil
	}
	recs := map[string]storage.Record{}
	for id := range dirty {
		a, err := p.s.account(id)
		if err != nil {
			continue
		}
		a.mu.Lock()
		if !a.removed {
			r := a.rec
			r.Timeline = append([]storage.TimelineEntry(nil), a.rec.Timeline...)
			if r.Status == string(StatusRefreshing) {
				r.Status = string(StatusConnected)
			}
			if a.unsaved {
				r.Status = string(StatusNotSaved)
			}
			recs[id] = r
		}
		a.mu.Unlock()
	}
	start := time.Now()
	err := p.s.cfg.Records.Update(func(in []storage.Record) ([]storage.Record, error) {
		out := in[:0:0]
		seen := map[string]bool{}
		for _, r := range in {
			if gone[r.ID] {
				continue
			}
			if nr, ok := recs[r.ID]; ok {
				r = nr
			}
			seen[r.ID] = true
			out = append(out, r)
		}
		ids := make([]string, 0, len(recs))
		for id := range recs {
			if !seen[id] {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			out = append(out, recs[id])
		}
		return out, nil
	})
	took := time.Since(start)
	p.mu.Lock()
	if err != nil {
		// Keep them for the next try.
		for id := range dirty {
			if !p.gone[id] {
				p.dirty[id] = true
			}
		}
		for id := range gone {
			p.gone[id] = true
		}
	}
	// Slow writes (thousands of accounts) space out the next ones.
	p.delay = max(300*time.Millisecond, min(10*took, 10*time.Second))
	if len(p.dirty) > 0 || len(p.gone) > 0 {
		p.arm()
	}
	p.mu.Unlock()
	if err == nil {
		p.noteFile()
	}
	return err
}

// noteFile remembers the records file's stamp after our own write.
func (p *persister) noteFile() {
	st := statStamp(p.s.cfg.Records.Path())
	p.mu.Lock()
	p.stamp = st
	p.mu.Unlock()
}

// changed reports whether someone else wrote the records file.
func (p *persister) changed() bool {
	st := statStamp(p.s.cfg.Records.Path())
	p.mu.Lock()
	defer p.mu.Unlock()
	return st != p.stamp
}

func statStamp(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}
}

// tick runs on the scheduler's coarse tick: it picks up accounts another
// process added or removed.
func (s *Service) tick() {
	if !s.persist.changed() {
		return
	}
	recs, err := s.cfg.Records.Load()
	if err != nil {
		return
	}
	s.persist.noteFile()
	now := s.clock.Now()
	have := map[string]bool{}
	for _, r := range recs {
		have[r.ID] = true
		s.mu.Lock()
		_, ok := s.accts[r.ID]
		var a *account
		if !ok {
			a = newAccount(r, now)
			s.accts[r.ID] = a
		}
		s.mu.Unlock()
		if a != nil {
			a.mu.Lock()
			a.blockedStamp = s.readStamp(a.id)
			a.mu.Unlock()
			s.scheduleLoaded(a, now)
			s.announce(a, EventAdded)
		} else if !ok {
			continue
		}
	}
	for _, a := range s.snapshotAccounts() {
		a.mu.Lock()
		// Only records that were ever written can vanish.
		known := !a.rec.CreatedAt.IsZero()
		a.mu.Unlock()
		if known && !have[a.id] {
			s.forget(a)
		}
	}
}

// forget drops an account from memory (its record and secret are gone).
func (s *Service) forget(a *account) {
	s.mu.Lock()
	delete(s.accts, a.id)
	s.mu.Unlock()
	s.sched.Cancel(a.id)
	a.mu.Lock()
	a.removed = true
	a.mu.Unlock()
	s.hub.publish(Event{Kind: EventRemoved, Account: Account{ID: a.id, Provider: a.rec.Provider, Status: StatusDisconnected}})
}

// Sync stamps: a tiny file per account, rewritten (under the account lock)
// after each token save. A process compares it with the stamp of the token
// it holds to learn, without touching the keychain, that another process
// stored a newer token.
func (s *Service) stampPath(id string) string {
	return filepath.Join(s.cfg.DataDir, "sync", safeFileName(id))
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func safeFileName(id string) string {
	if plainName.MatchString(id) && id != "." && id != ".." {
		return id
	}
	return fmt.Sprintf("h-%x", fnvHash(id))
}

func stampOf(t *oauth.Token) string {
	return strconv.FormatInt(t.IssuedAt.UnixNano(), 36) + "." + strconv.FormatInt(t.Expiry.UnixNano(), 36)
}

func (s *Service) readStamp(id string) string {
	b, err := os.ReadFile(s.stampPath(id))
	if err != nil {
		return ""
	}
	return string(b)
}

func (s *Service) writeStamp(id, stamp string) {
	path := s.stampPath(id)
	if err := os.WriteFile(path, []byte(stamp), 0o600); err != nil {
		if os.MkdirAll(filepath.Dir(path), 0o700) == nil {
			err = os.WriteFile(path, []byte(stamp), 0o600)
		}
		if err != nil {
			s.logf("sync stamp for %s: %v", id, err)
		}
	}
}

func removeFile(path string) error {
	err := os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
