package accounts

import (
	"context"
	"errors"
	"strings"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/storage"
)

// Where says on whose side a problem lies, so that no face ever puts a
// local failure on the provider.
type Where string

const (
	WhereApp      Where = "app"      // SellerConnect's settings or the data directory
	WhereProvider Where = "provider" // the provider answered with a refusal or an error
	WhereKeychain Where = "keychain" // the OS keychain
	WhereNetwork  Where = "network"  // the provider could not be reached, or answered "try later"
	WherePaste    Where = "paste"    // what the seller pasted
	WhereSeller   Where = "seller"   // the seller declined, or the approval did not come
)

// Problem is a failure as both faces tell it: a title, what happened and
// what to do, where it lies, and the provider's own fields for support.
type Problem struct {
	Title string
	What  string
	Do    string
	Where Where
	Kind  oauth.Kind // "" when it is not a provider flow's error
	// The provider's own fields, set only when the provider said them.
	Status                       int
	Code, Description, RequestID string
	TraceID                      string
}

// ProblemOf turns an error from the service into a Problem; provider is
// the provider's name as the seller knows it ("" for none).
func ProblemOf(err error, provider string) Problem {
	if provider == "" {
		provider = "the provider"
	}
	var ue *UnsavedError
	if errors.As(err, &ue) {
		return Problem{Title: "A renewed token could not be saved", What: ue.Error(), Where: WhereKeychain,
			Do: "Fix or unlock the keychain, then connect the named accounts again."}
	}
	var ke *storage.KeychainError
	if errors.As(err, &ke) && !isOAuth(err) {
		what := ke.Error()
		if ke.Advice != "" {
			what = strings.TrimSuffix(what, ". "+ke.Advice)
		}
		return Problem{Title: "The keychain did not answer", What: what, Do: ke.Advice, Where: WhereKeychain}
	}
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		var we *storage.WriteError
		if errors.As(err, &we) {
			return Problem{Title: "SellerConnect could not save", What: err.Error(), Do: we.Advice, Where: WhereApp}
		}
		return Problem{Title: "Something went wrong", What: "SellerConnect could not finish: " + err.Error(), Where: WhereApp,
			Do: "Try again. If it keeps happening, save a diagnostic report from Help and send it to support."}
	}
	p := Problem{Kind: oe.Kind, Status: oe.Status, Code: oe.Code, Description: oe.Description, RequestID: oe.RequestID, TraceID: oe.TraceID}
	switch oe.Kind {
	case oauth.KindPaste:
		p.Title, p.Where = "That is not the address from the browser", WherePaste
		p.What = "What was pasted cannot be used"
		if oe.Err != nil {
			p.What = oe.Err.Error()
		}
		p.Code, p.Description = "", "" // our words about the paste, not the provider's
	case oauth.KindDenied:
		p.Title, p.Where = "Access was declined", WhereSeller
		p.What = "Access to the " + provider + " account was declined in the browser."
		p.Do = "To connect, start again and press Approve (or Allow) on " + provider + "'s page."
	case oauth.KindCancelled:
		p.Title, p.Where = "The connection attempt ended", WhereSeller
		p.What = "The attempt was cancelled before " + provider + " sent the approval back."
		if errors.Is(oe, context.DeadlineExceeded) {
			p.Title = "No answer from the browser"
			p.What = "The approval in the browser did not arrive in time."
		}
		p.Do = "Start again. If no browser window opened, use Copy link and open the address in your browser yourself."
	case oauth.KindCredentials:
		p.Title, p.Where = "App credentials were refused", WhereProvider
		p.What = provider + " refused SellerConnect's app credentials (client id or secret)."
		p.Do = "Check the app credentials for " + provider + " in Settings, then try again."
	case oauth.KindTemporary:
		p.Title, p.Where = provider+" could not be reached", WhereNetwork
		p.What = "SellerConnect could not reach " + provider + ", or it answered with a temporary error."
		p.Do = "Check the internet connection and try again in a few minutes; SellerConnect retries on its own."
	case oauth.KindProvider:
		p.Title, p.Where = provider+" answered strangely", WhereProvider
		p.What = provider + " sent an answer SellerConnect could not understand."
		p.Do = "Try again later. If it keeps happening, save a diagnostic report from Help for support."
	case oauth.KindReconnect:
		p.Title, p.Where = "The approval ended", WhereProvider
		p.What = provider + " no longer accepts this account's approval."
		p.Do = "Connect the account again."
	case oauth.KindConfig:
		p.Title, p.Where = "SellerConnect is not set up for "+provider, WhereApp
		p.What = "The settings for " + provider + " cannot work as they are"
		if oe.Description != "" {
			p.What += ": " + oe.Description
		} else if oe.Err != nil {
			p.What += ": " + oe.Err.Error()
		}
		p.Description = "" // told in What, and ours, not the provider's
		if portBusy(oe.Error()) {
			p.Title = "The sign-in port is busy"
			p.What = "Another program is using the local port that " + provider + " sends the browser back to."
			p.Do = "Close other SellerConnect windows or programs that might use it, or restart the computer, then try again."
		} else {
			p.Do = "Check the app credentials and settings for " + provider + " in Settings."
		}
	default:
		p.Title, p.What, p.Do, p.Where = "Something went wrong", "SellerConnect could not finish.", "Try again.", WhereApp
	}
	// The provider's words are quoted only when the provider said them.
	if said := providerSaid(oe); said != "" && (p.Where == WhereProvider || p.Where == WhereNetwork && oe.Status != 0) {
		p.What = strings.TrimSuffix(p.What, ".") + ". " + provider + " said: " + said + "."
	}
	if oe.Advice != "" && !portBusy(oe.Error()) {
		p.Do = oe.Advice
	}
	return p
}

// isOAuth reports whether err carries a provider flow's error (which then
// decides the words, even when a keychain error is wrapped inside).
func isOAuth(err error) bool {
	var oe *oauth.Error
	return errors.As(err, &oe)
}

// providerSaid is the provider's own words: its code and description,
// each once.
func providerSaid(oe *oauth.Error) string {
	d := strings.TrimSuffix(oe.Description, ".")
	switch {
	case d != "" && oe.Code != "" && !strings.EqualFold(d, oe.Code):
		return oe.Code + " — " + d
	case d != "":
		return d
	}
	return oe.Code
}

func portBusy(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "address already in use") || strings.Contains(m, "port busy") ||
		strings.Contains(m, "only one usage of each socket address")
}
