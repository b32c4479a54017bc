package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var demoT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func demoTestCode(now time.Time) DemoCode {
	return DemoCode{
		Grant:       DemoGrant{ClientID: "sellerconnect-demo", SellerID: "demo-1001", Seller: "Harbour Street Vintage", Scopes: []string{"shop_read", "listings_write"}},
		RedirectURI: "http://127.0.0.1:5000/callback", Challenge: "challenge",
		Expires: now.Add(10 * time.Minute),
	}
}

func demoTestTokens(n int, now time.Time) DemoTokens {
	return DemoTokens{
		Access: fmt.Sprintf("at-%d", n), AccessExpires: now.Add(2 * time.Minute),
		Refresh: fmt.Sprintf("rt-%d", n), RefreshExpires: now.Add(30 * 24 * time.Hour),
	}
}

func accept[T any](T) error { return nil }

// demoIssue stores a code and redeems it for tokens n.
func demoIssue(t *testing.T, db *DB, code string, n int) DemoGrant {
	t.Helper()
	if _, err := db.PutDemoCode(code, demoTestCode(demoT0)); err != nil {
		t.Fatal(err)
	}
	g, err := db.RedeemDemoCode(code, demoT0, accept[DemoCode], demoTestTokens(n, demoT0))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDemoCodeRedeemedOnce(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	id, err := db.PutDemoCode("code-1", demoTestCode(demoT0))
	if err != nil || id == "" {
		t.Fatalf("put: %q %v", id, err)
	}
	var seen DemoCode
	g, err := db.RedeemDemoCode("code-1", demoT0.Add(time.Minute), func(c DemoCode) error { seen = c; return nil }, demoTestTokens(1, demoT0))
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != id || g.Seller != "Harbour Street Vintage" || seen.RedirectURI != "http://127.0.0.1:5000/callback" || seen.Challenge != "challenge" {
		t.Fatalf("grant %+v, code %+v", g, seen)
	}
	if got, err := db.DemoAccess("at-1", demoT0); err != nil || got.ID != id {
		t.Fatalf("access: %+v %v", got, err)
	}
	// The second use revokes what the first issued.
	if _, err := db.RedeemDemoCode("code-1", demoT0, accept[DemoCode], demoTestTokens(2, demoT0)); !errors.Is(err, ErrDemoReplay) {
		t.Fatalf("second use: %v", err)
	}
	if _, err := db.DemoAccess("at-1", demoT0); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("access after code reuse: %v", err)
	}
	if _, err := db.RotateDemoRefresh("rt-1", demoT0, accept[DemoGrant], demoTestTokens(3, demoT0)); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("refresh after code reuse: %v", err)
	}
	if _, err := db.RedeemDemoCode("unknown", demoT0, accept[DemoCode], demoTestTokens(4, demoT0)); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("unknown code: %v", err)
	}
}

func TestDemoCodeRefusedByCheckIsUsedUp(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	if _, err := db.PutDemoCode("code-1", demoTestCode(demoT0)); err != nil {
		t.Fatal(err)
	}
	wrong := errors.New("wrong verifier")
	if _, err := db.RedeemDemoCode("code-1", demoT0, func(DemoCode) error { return wrong }, demoTestTokens(1, demoT0)); err != wrong {
		t.Fatalf("refused: %v", err)
	}
	if _, err := db.DemoAccess("at-1", demoT0); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("a refused exchange issued a token: %v", err)
	}
	if _, err := db.RedeemDemoCode("code-1", demoT0, accept[DemoCode], demoTestTokens(2, demoT0)); err == nil {
		t.Fatal("a refused code was redeemed afterwards")
	}
}

func TestDemoCodeExpires(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	if _, err := db.PutDemoCode("code-1", demoTestCode(demoT0)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RedeemDemoCode("code-1", demoT0.Add(10*time.Minute), accept[DemoCode], demoTestTokens(1, demoT0)); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("expired code: %v", err)
	}
}

func TestDemoRotateAndReplay(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	g := demoIssue(t, db, "code-1", 1)
	now := demoT0.Add(time.Hour)
	g2, err := db.RotateDemoRefresh("rt-1", now, accept[DemoGrant], demoTestTokens(2, now))
	if err != nil || g2.ID != g.ID {
		t.Fatalf("rotate: %+v %v", g2, err)
	}
	if _, err := db.DemoAccess("at-1", now); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("old access token after rotation: %v", err)
	}
	if _, err := db.DemoAccess("at-2", now); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	// A refused check changes nothing.
	no := errors.New("other client")
	if _, err := db.RotateDemoRefresh("rt-2", now, func(DemoGrant) error { return no }, demoTestTokens(3, now)); err != no {
		t.Fatalf("refused: %v", err)
	}
	if _, err := db.DemoAccess("at-2", now); err != nil {
		t.Fatalf("access after a refused refresh: %v", err)
	}
	// Replaying rt-1 ends the grant: rt-2 and at-2 die too.
	if _, err := db.RotateDemoRefresh("rt-1", now, accept[DemoGrant], demoTestTokens(4, now)); !errors.Is(err, ErrDemoReplay) {
		t.Fatalf("replay: %v", err)
	}
	if _, err := db.DemoAccess("at-2", now); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("access after replay: %v", err)
	}
	if _, err := db.RotateDemoRefresh("rt-2", now, accept[DemoGrant], demoTestTokens(5, now)); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("current refresh after replay: %v", err)
	}
}

func TestDemoRefreshExpiresAndRolls(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	demoIssue(t, db, "code-1", 1)
	// Refreshed on day 20: the new token lives 30 days from then.
	day20 := demoT0.Add(20 * 24 * time.Hour)
	if _, err := db.RotateDemoRefresh("rt-1", day20, accept[DemoGrant], demoTestTokens(2, day20)); err != nil {
		t.Fatal(err)
	}
	day45 := demoT0.Add(45 * 24 * time.Hour)
	if _, err := db.RotateDemoRefresh("rt-2", day45, accept[DemoGrant], demoTestTokens(3, day45)); err != nil {
		t.Fatalf("day 45: %v", err)
	}
	day80 := day45.Add(30 * 24 * time.Hour)
	if _, err := db.RotateDemoRefresh("rt-3", day80, accept[DemoGrant], demoTestTokens(4, day80)); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("expired refresh: %v", err)
	}
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM demo_grants WHERE kind != 'code'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("an expired refresh left %d rows (%v)", n, err)
	}
}

func TestDemoAccessExpires(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	demoIssue(t, db, "code-1", 1)
	if _, err := db.DemoAccess("at-1", demoT0.Add(119*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DemoAccess("at-1", demoT0.Add(2*time.Minute)); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("expired access token: %v", err)
	}
}

func TestDemoRetiredKeptBounded(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	g := demoIssue(t, db, "code-1", 0)
	now := demoT0
	for i := 1; i <= DemoRetiredKept+5; i++ {
		now = now.Add(time.Minute)
		if _, err := db.RotateDemoRefresh(fmt.Sprintf("rt-%d", i-1), now, accept[DemoGrant], demoTestTokens(i, now)); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM demo_grants WHERE grant_id = ? AND kind = 'retired'`, g.ID).Scan(&n); err != nil || n != DemoRetiredKept {
		t.Fatalf("%d retired rows (%v)", n, err)
	}
	// The newest replaced one is still recognised.
	if _, err := db.RotateDemoRefresh(fmt.Sprintf("rt-%d", DemoRetiredKept+4), now, accept[DemoGrant], demoTestTokens(99, now)); !errors.Is(err, ErrDemoReplay) {
		t.Fatalf("replay of the last replaced token: %v", err)
	}
}

func TestDemoRevoke(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	demoIssue(t, db, "code-1", 1)
	demoIssue(t, db, "code-2", 2)
	if ok, err := db.RevokeDemoToken("unknown", "sellerconnect-demo"); ok || err != nil {
		t.Fatalf("unknown token: %v %v", ok, err)
	}
	if ok, err := db.RevokeDemoToken("code-2", "sellerconnect-demo"); ok || err != nil {
		t.Fatalf("a code is not a token: %v %v", ok, err)
	}
	if ok, err := db.RevokeDemoToken("rt-1", "another-client"); ok || err != nil {
		t.Fatalf("another client's revocation: %v %v", ok, err)
	}
	if ok, err := db.RevokeDemoToken("rt-1", "sellerconnect-demo"); !ok || err != nil {
		t.Fatalf("revoke by refresh token: %v %v", ok, err)
	}
	if _, err := db.DemoAccess("at-1", demoT0); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("access after revocation: %v", err)
	}
	if ok, err := db.RevokeDemoToken("at-2", "sellerconnect-demo"); !ok || err != nil {
		t.Fatalf("revoke by access token: %v %v", ok, err)
	}
	if _, err := db.RotateDemoRefresh("rt-2", demoT0, accept[DemoGrant], demoTestTokens(3, demoT0)); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("refresh after revocation: %v", err)
	}
}

func TestDemoSweep(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	demoIssue(t, db, "code-1", 1)
	if _, err := db.PutDemoCode("code-2", demoTestCode(demoT0)); err != nil {
		t.Fatal(err)
	}
	// After 10 minutes: the unused code and the access token are dead; the
	// redeemed code is kept to recognise its replay.
	n, err := db.SweepDemo(demoT0.Add(10 * time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("swept %d (%v)", n, err)
	}
	hour := demoT0.Add(time.Hour)
	if _, err := db.RotateDemoRefresh("rt-1", hour, accept[DemoGrant], demoTestTokens(2, hour)); err != nil {
		t.Fatalf("the refresh token did not survive the sweep: %v", err)
	}
	if _, err := db.RedeemDemoCode("code-1", hour, accept[DemoCode], demoTestTokens(3, hour)); !errors.Is(err, ErrDemoReplay) {
		t.Fatalf("code replayed after its expiry: %v", err)
	}
	if _, err := db.DemoAccess("at-2", hour); !errors.Is(err, ErrDemoInvalid) {
		t.Fatalf("the late code replay did not revoke the grant: %v", err)
	}
}

func TestDemoStoresOnlyHashes(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir)
	secrets := []string{"code-secret-value", "access-secret-value", "refresh-secret-value", "second-refresh-value", "second-access-value"}
	if _, err := db.PutDemoCode(secrets[0], demoTestCode(demoT0)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RedeemDemoCode(secrets[0], demoT0, accept[DemoCode], DemoTokens{
		Access: secrets[1], AccessExpires: demoT0.Add(time.Minute), Refresh: secrets[2], RefreshExpires: demoT0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RotateDemoRefresh(secrets[2], demoT0, accept[DemoGrant], DemoTokens{
		Access: secrets[4], AccessExpires: demoT0.Add(time.Minute), Refresh: secrets[3], RefreshExpires: demoT0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, DBFile+"*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in clear", filepath.Base(f), s)
			}
		}
	}
}

// Two handles on one directory are two processes' views: a refresh races
// another through both, and exactly one wins; the loser's token, replaced
// by the winner, is a replay that ends the grant.
func TestDemoConcurrentRotationAcrossHandles(t *testing.T) {
	dir := t.TempDir()
	a, b := openTestDB(t, dir), openTestDB(t, dir)
	demoIssue(t, a, "code-1", 0)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, db := range []*DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = db.RotateDemoRefresh("rt-0", demoT0, accept[DemoGrant], demoTestTokens(i+1, demoT0))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrDemoReplay):
			t.Fatalf("loser: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d refreshes won: %v", won, errs)
	}
	for _, at := range []string{"at-1", "at-2"} {
		if _, err := b.DemoAccess(at, demoT0); !errors.Is(err, ErrDemoInvalid) {
			t.Fatalf("%s after the replay: %v", at, err)
		}
	}
}
