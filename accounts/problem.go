package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
// what to do, where it lies, what it does to the account, and the
// provider's own fields for support.
type Problem struct {
	Title string
	What  string
	Do    string
	Where Where
	// Badge is the status the failure gives an account: StatusReconnect,
	// StatusCredentials (wrong app credentials, or settings that cannot
	// work), StatusOffline (worth trying again later) or StatusNotSaved;
	// "" when it says nothing of the account (declined, cancelled, a bad
	// paste, an unknown failure).
	Badge Status
	// Kind is the failure's class as stored and in the JSON output
	// ("reconnect_needed", "credentials_wrong", "temporary", "paste",
	// "keychain_locked", "data_dir", "other", ...); Meaning says it in
	// words.
	Kind, Meaning string
	// Time is when it happened (set for an account's last error).
	Time time.Time
	// Op is what was being done ("refresh", "token", "revoke", ...).
	Op string
	// The provider's own fields, set only when the provider said them.
	Status                       int
	Code, Description, RequestID string
	TraceID                      string
	RetryAfter                   time.Duration
	// Details lists the fields above in one line for support
	// ("refresh, HTTP 400, invalid_grant, id req-42").
	Details string
	// Message is the whole error text, redacted.
	Message string
}

// ProblemOf turns an error from the service into a Problem; provider is
// the provider's name as the seller knows it ("" for none).
func ProblemOf(err error, provider string) Problem {
	if err == nil {
		return Problem{}
	}
	if provider == "" {
		provider = "the provider"
	}
	var p Problem
	if oe, ok := oauth.AsError(err); ok && !isUnsaved(err) {
		p = flowProblem(oe, provider)
	} else {
		p = localProblem(err)
	}
	p.Message = err.Error()
	p.Meaning = meaning(p.Kind)
	if oe, ok := oauth.AsError(err); ok {
		p.Details = details(oe)
	}
	return p
}

func isUnsaved(err error) bool {
	var ue *unsavedError
	return errors.As(err, &ue)
}

// localProblem is a failure on this machine: the keychain, the data
// directory, or SellerConnect itself.
func localProblem(err error) Problem {
	var ue *unsavedError
	if errors.As(err, &ue) {
		return Problem{Title: "A renewed token could not be saved", What: ue.Error(), Where: WhereKeychain,
			Badge: StatusNotSaved, Kind: "not_saved",
			Do: "Fix or unlock the keychain, then connect the named accounts again."}
	}
	var ke *storage.KeychainError
	if errors.As(err, &ke) {
		what := ke.Error()
		if ke.Advice != "" {
			what = strings.TrimSuffix(what, ". "+ke.Advice)
		}
		return Problem{Title: "The keychain did not answer", What: what, Do: ke.Advice, Where: WhereKeychain,
			Badge: keychainBadge(string(ke.Kind)), Kind: "keychain_" + string(ke.Kind), Op: "keychain " + ke.Op}
	}
	var de *dataDirError
	if errors.As(err, &de) {
		return Problem{Title: "The data directory cannot be used", What: de.Error(), Do: de.advice, Where: WhereApp, Kind: "data_dir"}
	}
	var we *storage.WriteError
	if errors.As(err, &we) {
		return Problem{Title: "SellerConnect could not save", What: err.Error(), Do: we.Advice, Where: WhereApp, Kind: "other"}
	}
	// What to do is the face's to say: only it knows where its report is.
	return Problem{Title: "Something went wrong", What: "SellerConnect could not finish: " + err.Error(), Where: WhereApp, Kind: "other"}
}

// keychainBadge: a locked keychain, or one that did not answer in time, is
// worth a retry once the seller unlocks it.
func keychainBadge(kind string) Status {
	switch storage.KeychainErrorKind(kind) {
	case storage.KindLocked, storage.KindTimeout:
		return StatusOffline
	}
	return ""
}

// flowWords is how a provider flow's failure of one kind is told; {p}
// stands for the provider's name.
type flowWords struct {
	title, what, do string
	where           Where
	badge           Status
}

var flowTable = map[oauth.Kind]flowWords{
	oauth.KindPaste: {"That is not the address from the browser", "What was pasted cannot be used", "",
		WherePaste, ""},
	oauth.KindDenied: {"Access was declined", "Access to the {p} account was declined in the browser.",
		"To connect, start again and press Approve (or Allow) on {p}'s page.", WhereSeller, ""},
	oauth.KindCancelled: {"The connection attempt ended", "The attempt was cancelled before {p} sent the approval back.",
		"Start again. If no browser window opened, use Copy link and open the address in your browser yourself.", WhereSeller, ""},
	oauth.KindCredentials: {"App credentials were refused", "{p} refused SellerConnect's app credentials (client id or secret).",
		"Check the app credentials for {p} in Settings, then try again.", WhereProvider, StatusCredentials},
	oauth.KindTemporary: {"{p} could not be reached", "SellerConnect could not reach {p}, or it answered with a temporary error.",
		"Check the internet connection and try again in a few minutes; SellerConnect retries on its own.", WhereNetwork, StatusOffline},
	oauth.KindProvider: {"{p} answered strangely", "{p} sent an answer SellerConnect could not understand.",
		"Try again later. If it keeps happening, save a diagnostic report from Help for support.", WhereProvider, ""},
	oauth.KindReconnect: {"The approval ended", "{p} no longer accepts this account's approval.",
		"Connect the account again.", WhereProvider, StatusReconnect},
	oauth.KindConfig: {"SellerConnect is not set up for {p}", "The settings for {p} cannot work as they are",
		"Check the app credentials and settings for {p} in Settings.", WhereApp, StatusCredentials},
}

// flowProblem is a failure of a provider flow: connect, refresh, revoke.
func flowProblem(oe *oauth.Error, provider string) Problem {
	p := Problem{Kind: string(oe.Kind), Op: oe.Op, Status: oe.Status, Code: oe.Code, Description: oe.Description,
		RequestID: oe.RequestID, TraceID: oe.TraceID, RetryAfter: oe.RetryAfter}
	w, ok := flowTable[oe.Kind]
	if !ok {
		w = flowWords{title: "Something went wrong", what: "SellerConnect could not finish.", do: "Try again.", where: WhereApp}
	}
	name := func(s string) string { return strings.ReplaceAll(s, "{p}", provider) }
	p.Title, p.What, p.Do, p.Where, p.Badge = name(w.title), name(w.what), name(w.do), w.where, w.badge
	busy := portBusy(oe.Error())
	switch oe.Kind {
	case oauth.KindPaste:
		if oe.Err != nil {
			p.What = oe.Err.Error()
		}
		p.Code, p.Description = "", "" // our words about the paste, not the provider's
	case oauth.KindCancelled:
		if errors.Is(oe, context.DeadlineExceeded) {
			p.Title = "No answer from the browser"
			p.What = "The approval in the browser did not arrive in time."
		}
	case oauth.KindConfig:
		configWords(&p, oe, provider, busy)
	}
	// The provider's words are quoted only when the provider said them.
	if said := providerSaid(oe); said != "" && (p.Where == WhereProvider || p.Where == WhereNetwork && oe.Status != 0) {
		p.What = strings.TrimSuffix(p.What, ".") + ". " + provider + " said: " + said + "."
	}
	if oe.Advice != "" && !busy {
		p.Do = oe.Advice
	}
	return p
}

// configWords tells settings that cannot work, and a busy sign-in port.
func configWords(p *Problem, oe *oauth.Error, provider string, busy bool) {
	if oe.Description != "" {
		p.What += ": " + oe.Description
	} else if oe.Err != nil {
		p.What += ": " + oe.Err.Error()
	}
	p.Description = "" // told in What, and ours, not the provider's
	if busy {
		p.Title = "The sign-in port is busy"
		p.What = "Another program is using the local port that " + provider + " sends the browser back to."
		p.Do = "Close other SellerConnect windows or programs that might use it, or restart the computer, then try again."
	}
}

// details lists the provider's own fields in one line for support.
func details(oe *oauth.Error) string {
	var parts []string
	add := func(ok bool, s string) {
		if ok {
			parts = append(parts, s)
		}
	}
	add(oe.Op != "", oe.Op)
	add(oe.Status != 0, fmt.Sprintf("HTTP %d", oe.Status))
	add(oe.Code != "", oe.Code)
	add(oe.Description != "" && !strings.EqualFold(oe.Description, oe.Code), oe.Description) // Depop repeats its error as the description
	add(oe.RequestID != "", "id "+oe.RequestID)
	add(oe.TraceID != "", "traceId "+oe.TraceID)
	add(oe.RetryAfter > 0, "retry after "+oe.RetryAfter.String())
	if len(parts) == 0 && oe.Err != nil {
		parts = append(parts, oe.Err.Error())
	}
	return strings.Join(parts, ", ")
}

// recordedProblem is an account's stored last failure told again, for
// the details and the JSON output.
func recordedProblem(info *storage.ErrorInfo, provider string) *Problem {
	if info == nil {
		return nil
	}
	var p Problem
	switch {
	case strings.HasPrefix(info.Kind, "keychain_"):
		what := strings.TrimSuffix(info.Message, ". "+info.Advice)
		p = Problem{Title: "The keychain did not answer", What: what, Do: info.Advice, Where: WhereKeychain,
			Badge: keychainBadge(strings.TrimPrefix(info.Kind, "keychain_"))}
	case info.Kind == "" || info.Kind == "other" || info.Kind == "not_saved":
		p = localProblem(errors.New(info.Message))
		p.What = info.Message
	default:
		oe := &oauth.Error{Kind: oauth.Kind(info.Kind), Op: info.Op, Status: info.Status, Code: info.Code,
			Description: info.Description, RequestID: info.RequestID, TraceID: info.TraceID, Advice: info.Advice}
		p = ProblemOf(oe, provider)
	}
	p.Kind, p.Time, p.Op, p.Message = info.Kind, info.Time, info.Op, info.Message
	p.Status, p.Code, p.Description, p.RequestID, p.TraceID = info.Status, info.Code, info.Description, info.RequestID, info.TraceID
	p.Meaning = meaning(info.Kind)
	p.Details = details(&oauth.Error{Op: info.Op, Status: info.Status, Code: info.Code, Description: info.Description,
		RequestID: info.RequestID, TraceID: info.TraceID})
	return &p
}

// meaning says a failure's class in words.
func meaning(kind string) string {
	switch oauth.Kind(kind) {
	case oauth.KindReconnect:
		return "reconnect needed (the grant is gone)"
	case oauth.KindCredentials:
		return "app credentials wrong"
	case oauth.KindTemporary:
		return "temporary (network, server error or rate limit)"
	case oauth.KindProvider:
		return "provider fault (an answer that could not be understood)"
	case oauth.KindDenied:
		return "consent declined"
	case oauth.KindCancelled:
		return "cancelled or timed out"
	case oauth.KindConfig:
		return "configuration"
	}
	if kind == "" {
		return "—"
	}
	return kind
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
