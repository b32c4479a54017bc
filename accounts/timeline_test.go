package accounts

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// TestTimelineKeepsFailuresOverRoutine: a healthy account's successful
// exchanges stop at RoutineLimit, so its timeline stays small, while
// failures among them stay in view. The entries go through the store, in
// batches, as the service writes them.
func TestTimelineKeepsFailuresOverRoutine(t *testing.T) {
	db := openDB(t, t.TempDir())
	if err := db.InsertAccount(storage.Record{ID: "a", Provider: "demo"}, 1, "", nil, timelineKeep); err != nil {
		t.Fatal(err)
	}
	a := &account{id: "a"}
	flush := func() {
		if _, err := db.UpdateAccounts(map[string]storage.RecordUpdate{"a": {Entries: a.entries}}, timelineKeep); err != nil {
			t.Fatal(err)
		}
		a.entries = nil
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		at = at.Add(time.Minute)
		status := any(200)
		if i%2 == 1 {
			status = float64(200) // as read back from the store
		}
		if i == 5 || i == 6 {
			a.appendEntry(storage.TimelineEntry{Time: at, Kind: "exchange", Detail: map[string]any{"status": 400}})
			continue
		}
		if i == 7 {
			a.appendEntry(storage.TimelineEntry{Time: at, Kind: "error", Summary: "refused"})
			continue
		}
		a.appendEntry(storage.TimelineEntry{Time: at, Kind: "exchange", Detail: map[string]any{"status": status}})
		if i%3 == 0 {
			flush()
		}
	}
	flush()
	tl, err := db.Timeline("a")
	if err != nil {
		t.Fatal(err)
	}
	routineN, failures := 0, 0
	for i, e := range tl {
		if i > 0 && e.Time.Before(tl[i-1].Time) {
			t.Fatal("entries out of order")
		}
		if routine(e) {
			routineN++
		} else {
			failures++
		}
	}
	if routineN != routineLimit || failures != 3 {
		t.Fatalf("%d routine and %d failure entries; want %d and 3", routineN, failures, routineLimit)
	}
	if last := tl[len(tl)-1]; !last.Time.Equal(at) {
		t.Errorf("the newest entry is not last")
	}
	if routine(storage.TimelineEntry{Kind: "exchange", Detail: map[string]any{"status": 200, "error": "cut short"}}) {
		t.Error("an exchange with an error counted as routine")
	}
}

// TestNeverSent: a refused connection or an unknown host means the request
// did not reach the provider; a dropped connection may have.
func TestNeverSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, refused := http.Get("http://" + addr + "/token")
	if refused == nil || !neverSent(&oauth.Error{Kind: oauth.KindTemporary, Err: refused}) {
		t.Errorf("connection refused not recognised: %v", refused)
	}
	if neverSent(&oauth.Error{Kind: oauth.KindTemporary, Err: io.ErrUnexpectedEOF}) {
		t.Error("a dropped answer counted as never sent")
	}
}

// TestClipBodyKeepsWholeCharacters: a long body is cut between characters.
func TestClipBodyKeepsWholeCharacters(t *testing.T) {
	for pad := 0; pad < 4; pad++ {
		s := strings.Repeat("x", pad) + strings.Repeat("→", maxDetailBody)
		if got := clipBody(s); !utf8.ValidString(got) || !strings.HasSuffix(got, "…(cut)") {
			t.Fatalf("pad %d: cut mid-character", pad)
		}
	}
}
