package ui

import (
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// labels returns the text of every label under o.
func labels(o fyne.CanvasObject) []string {
	var out []string
	walk(o, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
		return true
	})
	return out
}

func TestTimelineReadable(t *testing.T) {
	test.NewTempApp(t)
	// 2,048 bytes of arrows is 682 and two thirds of one: the service's
	// cut leaves a broken character before its mark.
	cut := strings.Repeat("→", 700)[:2048] + cutMark
	long := strings.Repeat("ü", maxShownValue+50)
	entries := []accounts.Entry{
		{Time: fixture.Now.Add(-time.Minute), Kind: "exchange", Summary: "refresh: POST https://api.example.com/token → 200 in 9 ms",
			Detail: map[string]any{"op": "refresh", "method": "POST", "url": "https://api.example.com/token?x=%E2%80%A6", "status": 200.0,
				"latency_ms": 9.0, "trigger": "Refresh now",
				"request_body":    "grant_type=refresh_token&refresh_token=drt_9a1f%E2%80%A6c03e&redirect_uri=http%3A%2F%2F127.0.0.1%3A41234%2Fcb",
				"response_body":   `{"error":"invalid_grant","error_description":"a \u0026 b \u003c c → d"}`,
				"request_headers": map[string]any{"Authorization": "Basic c2Vs…Nzg5"},
				"extra":           map[string]any{"note": "x & y <z>"},
			}},
		{Time: fixture.Now.Add(-2 * time.Minute), Kind: "exchange", Summary: "test: GET → 200",
			Detail: map[string]any{"trigger": "scheduled refresh", "response_body": cut, "error": long}},
		{Time: fixture.Now.Add(-3 * time.Minute), Kind: "exchange", Summary: "token", Detail: map[string]any{"trigger": "a token request"}},
		{Time: fixture.Now.Add(-4 * time.Minute), Kind: "exchange", Summary: "connect", Detail: map[string]any{"trigger": "Connect"}},
		{Time: fixture.Now.Add(-5 * time.Minute), Kind: "exchange", Summary: "test", Detail: map[string]any{"trigger": "Test connection"}},
		{Time: fixture.Now.Add(-6 * time.Minute), Kind: "exchange", Summary: "revoke", Detail: map[string]any{"trigger": "Disconnect"}},
	}
	got := labels(timelineSection(entries, fixture.Now, &live{}))
	all := strings.Join(got, "\n")
	for _, l := range got {
		if !utf8.ValidString(l) || strings.ContainsRune(l, utf8.RuneError) {
			t.Errorf("a broken character is drawn: %q", l)
		}
	}
	for _, bad := range []string{`\u0026`, `\u003c`, "%E2%80%A6", "%3A%2F%2F"} {
		if strings.Contains(all, bad) {
			t.Errorf("the timeline shows %q undecoded:\n%s", bad, all)
		}
	}
	for _, want := range []string{
		"refresh_token: drt_9a1f…c03e",
		"redirect_uri: http://127.0.0.1:41234/cb",
		`"error_description": "a & b < c → d"`,
		`"note": "x & y <z>"`,
		"Authorization: Basic c2Vs…Nzg5",
		"POST https://api.example.com/token?x=…",
		"200 in 9 ms",
		"1 min ago · caused by the Refresh now button",
		"2 min ago · caused by a scheduled refresh",
		"caused by a token request",
		"caused by the Connect button",
		"caused by the Test connection button",
		"caused by the Disconnect button",
		"longer: the report has what was kept",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, all)
		}
	}
	for _, l := range got {
		if strings.HasPrefix(l, "üü") && utf8.RuneCountInString(l) > maxShownValue+1 {
			t.Errorf("a value of %d characters is drawn whole", utf8.RuneCountInString(l))
		}
	}
}

func TestReadableNeverCutsACharacter(t *testing.T) {
	for _, s := range []string{"→→→→", "aé→😀b", strings.Repeat("😀", 10)} {
		for n := 0; n <= utf8.RuneCountInString(s)+1; n++ {
			r := readable(s, n)
			if !utf8.ValidString(r) {
				t.Errorf("readable(%q, %d) = %q", s, n, r)
			}
		}
	}
	if got := bodyText("a=1&b=%F0%9F%98%80"); got != "a: 1\nb: 😀" {
		t.Errorf("form body: %q", got)
	}
	if got := bodyText("not a form"); got != "not a form" {
		t.Errorf("plain body: %q", got)
	}
}

// clock is a time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The details' relative times move with the clock on the details' own
// tick, within a few seconds, without rebuilding the page.
func TestDetailsTimesStayLive(t *testing.T) {
	c := &clock{t: fixture.Now}
	a := newTestAppWith(t, fixture.WithStates(), func(o *Options) { o.Now = c.now })
	a.showDetails("demo-7c1e2a")
	canvas := a.win.Canvas()
	if !hasText(canvas, "30 s ago · caused by a scheduled refresh") || !hasText(canvas, "(in 1 min)") {
		t.Fatalf("the details do not say when:\n%s", strings.Join(labels(canvas.Content()), "\n"))
	}
	body := a.details.body.Objects[0]
	a.Start()
	c.add(5 * time.Second)
	start := time.Now()
	pump(t, a, func() bool { return hasText(canvas, "35 s ago · caused by a scheduled refresh") })
	if waited := time.Since(start); waited > liveEvery+1500*time.Millisecond {
		t.Errorf("the relative time changed after %v, want within %v", waited, liveEvery)
	}
	if !hasText(canvas, "(35 s ago)") {
		t.Error("the last refresh's time did not move")
	}
	if a.details.body.Objects[0] != body {
		t.Error("the page was rebuilt to update its times")
	}
}

// An event carries no timeline; the one shown stays until the account is
// read again.
func TestDetailsTimelineKeptOnEvent(t *testing.T) {
	a := newTestApp(t, fixture.WithStates())
	a.showDetails("demo-7c1e2a")
	acc := a.details.acc
	acc.Timeline = nil
	acc.Status = accounts.StatusRefreshing
	a.apply(accounts.Event{Account: acc})
	if !hasText(a.win.Canvas(), "caused by a scheduled refresh") {
		t.Error("the timeline emptied when an event arrived")
	}
	pump(t, a, func() bool { return len(a.details.acc.Timeline) == 2 })
	if !hasText(a.win.Canvas(), "caused by the Connect button") {
		t.Error("the refetched timeline is not shown")
	}
}
