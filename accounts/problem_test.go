package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// TestProblemOf: every failure is told on the right side, with the badge
// it gives an account, and the provider's own words only when it said
// them.
func TestProblemOf(t *testing.T) {
	flow := func(k oauth.Kind) error {
		return fmt.Errorf("refresh: %w", &oauth.Error{Kind: k, Op: "refresh", Status: 400, Code: "invalid_grant", RequestID: "r-1"})
	}
	cases := []struct {
		name  string
		err   error
		where Where
		badge Status
		title string // a part of it
		said  bool   // the provider's words are quoted in What
	}{
		{"reconnect", flow(oauth.KindReconnect), WhereProvider, StatusReconnect, "approval ended", true},
		{"credentials", flow(oauth.KindCredentials), WhereProvider, StatusCredentials, "credentials were refused", true},
		{"config", &oauth.Error{Kind: oauth.KindConfig, Description: "client_id is empty"}, WhereApp, StatusCredentials, "not set up", false},
		{"busy port", &oauth.Error{Kind: oauth.KindConfig, Err: errors.New("listen: address already in use")}, WhereApp, StatusCredentials, "port is busy", false},
		{"temporary with status", flow(oauth.KindTemporary), WhereNetwork, StatusOffline, "could not be reached", true},
		{"temporary without status", &oauth.Error{Kind: oauth.KindTemporary, Code: "x"}, WhereNetwork, StatusOffline, "could not be reached", false},
		{"provider fault", flow(oauth.KindProvider), WhereProvider, "", "answered strangely", true},
		{"denied", &oauth.Error{Kind: oauth.KindDenied, Code: "access_denied"}, WhereSeller, "", "declined", false},
		{"cancelled", &oauth.Error{Kind: oauth.KindCancelled}, WhereSeller, "", "attempt ended", false},
		{"timed out", &oauth.Error{Kind: oauth.KindCancelled, Err: context.DeadlineExceeded}, WhereSeller, "", "No answer", false},
		{"paste", &oauth.Error{Kind: oauth.KindPaste, Code: "x", Err: errors.New("that is another attempt's address")}, WherePaste, "", "not the address", false},
		{"keychain locked", fmt.Errorf("save: %w", &storage.KeychainError{Kind: storage.KindLocked, Op: "set"}), WhereKeychain, StatusOffline, "keychain", false},
		{"keychain gone", &storage.KeychainError{Kind: storage.KindNoService, Op: "get"}, WhereKeychain, "", "keychain", false},
		{"keychain inside a flow", &oauth.Error{Kind: oauth.KindTemporary, Err: &storage.KeychainError{Kind: storage.KindLocked}}, WhereNetwork, StatusOffline, "reached", false},
		{"unsaved", &unsavedError{Err: errors.New("locked"), Accounts: []string{"depop-1"}}, WhereKeychain, StatusNotSaved, "could not be saved", false},
		{"write", &storage.WriteError{Path: "/x", Err: errors.New("disk full"), Advice: "Free some space."}, WhereApp, "", "could not save", false},
		{"data dir", &dataDirError{err: errors.New("not writable"), advice: "Check."}, WhereApp, "", "data directory", false},
		{"other", errors.New("boom"), WhereApp, "", "went wrong", false},
	}
	for _, c := range cases {
		p := ProblemOf(c.err, "Depop")
		if p.Where != c.where || p.Badge != c.badge || !strings.Contains(p.Title, c.title) {
			t.Errorf("%s: where %q badge %q title %q, want %q %q ~%q", c.name, p.Where, p.Badge, p.Title, c.where, c.badge, c.title)
		}
		if said := strings.Contains(p.What, "Depop said"); said != c.said {
			t.Errorf("%s: provider quoted %v, want %v: %q", c.name, said, c.said, p.What)
		}
		if p.Meaning == "" || p.Message == "" {
			t.Errorf("%s: no meaning or message: %+v", c.name, p)
		}
	}
	if p := ProblemOf(flow(oauth.KindReconnect), ""); p.Details != "refresh, HTTP 400, invalid_grant, id r-1" {
		t.Errorf("details %q", p.Details)
	}
}
