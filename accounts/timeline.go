package accounts

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

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
	if n := len(a.entries); n > timelineLimit {
		a.entries = append(a.entries[:0:0], a.entries[n-timelineLimit:]...)
	}
}

// timelineKeep bounds every account's timeline in the store. Successful
// exchanges repeat every refresh and say little once a few are there;
// failures are what support needs, so they stay in view longer.
var timelineKeep = storage.TimelineKeep{All: timelineLimit, Routine: routineLimit}

// routineLimit is how many successful exchanges a timeline keeps.
const routineLimit = 10

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
