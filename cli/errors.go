package cli

import (
	"errors"
	"fmt"
	"github.com/sellerconnect/sellerconnect/accounts"
	"strings"
	"unicode"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// cliError is a failure this package describes itself: its exit code, one
// plain sentence and the advice.
type cliError struct {
	code   int
	msg    string
	advice string
	err    error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

func usageErr(advice, format string, a ...any) error {
	return &cliError{code: ExitUsage, msg: fmt.Sprintf(format, a...), advice: advice}
}

// exitCode maps an error to the documented exit code. Classified provider
// failures (*oauth.Error, anywhere in the chain) decide first.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ce *cliError
	if errors.As(err, &ce) && ce.code != 0 {
		return ce.code
	}
	var ue *accounts.UnsavedError
	if errors.As(err, &ue) {
		return ExitUnsaved
	}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return kindExit(oe.Kind)
	}
	if code, ok := storageExit(err); ok {
		return code
	}
	return ExitOther
}

func kindExit(k oauth.Kind) int {
	switch k {
	case oauth.KindReconnect:
		return ExitReconnect
	case oauth.KindCredentials, oauth.KindConfig:
		return ExitCredentials
	case oauth.KindTemporary:
		return ExitTemporary
	case oauth.KindPaste:
		return ExitUsage
	default:
		return ExitOther
	}
}

// headline is the plain first sentence for a classified failure.
func headline(oe *oauth.Error, subject string) string {
	if subject == "" {
		subject = "the provider"
	}
	switch oe.Kind {
	case oauth.KindReconnect:
		return fmt.Sprintf("%s needs to be connected again", subject)
	case oauth.KindCredentials:
		return fmt.Sprintf("the app's credentials were refused for %s", subject)
	case oauth.KindTemporary:
		return fmt.Sprintf("a temporary failure stopped the request for %s", subject)
	case oauth.KindProvider:
		return fmt.Sprintf("the provider's answer for %s could not be understood", subject)
	case oauth.KindDenied:
		return fmt.Sprintf("consent was refused for %s", subject)
	case oauth.KindCancelled:
		return fmt.Sprintf("the request for %s was cancelled", subject)
	case oauth.KindConfig:
		return fmt.Sprintf("the settings for %s cannot work", subject)
	case oauth.KindPaste:
		return "what was pasted is not the address this connection attempt waits for"
	}
	return fmt.Sprintf("the request for %s failed", subject)
}

// details lists the provider's own fields for support staff.
func details(oe *oauth.Error) string {
	var parts []string
	if oe.Op != "" {
		parts = append(parts, oe.Op)
	}
	if oe.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", oe.Status))
	}
	if oe.Code != "" {
		parts = append(parts, oe.Code)
	}
	if oe.Description != "" && !strings.EqualFold(oe.Description, oe.Code) {
		parts = append(parts, oe.Description) // Depop repeats its error as the description
	}
	if oe.RequestID != "" {
		parts = append(parts, "id "+oe.RequestID)
	}
	if oe.TraceID != "" {
		parts = append(parts, "traceId "+oe.TraceID)
	}
	if oe.RetryAfter > 0 {
		parts = append(parts, "retry after "+oe.RetryAfter.String())
	}
	if len(parts) == 0 && oe.Err != nil {
		parts = append(parts, oe.Err.Error())
	}
	return strings.Join(parts, ", ")
}

// fail prints err to stderr as one plain sentence plus advice and returns
// its exit code. subject names what was acted on ("account depop-3f9a2c").
func (r *runner) fail(err error, subject string) int {
	msg, advice := describe(err, subject)
	fmt.Fprintf(r.stderr, "sellerconnect: %s\n", sentence(msg))
	if advice != "" {
		fmt.Fprintln(r.stderr, sentence(advice))
	}
	return exitCode(err)
}

// describe turns err into its sentence and advice.
func describe(err error, subject string) (msg, advice string) {
	var ue *accounts.UnsavedError
	if errors.As(err, &ue) {
		return ue.Error(), ""
	}
	var ce *cliError
	if errors.As(err, &ce) {
		advice = ce.advice
		if advice == "" && ce.err != nil {
			_, advice = describe(ce.err, subject)
		}
		return ce.msg, advice
	}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		// What happened and what to do come from the service's one
		// vocabulary; the command line puts the account in front.
		p := accounts.ProblemOf(err, "")
		if p.Where == accounts.WherePaste {
			return p.What, p.Do
		}
		msg = headline(oe, subject)
		if d := details(oe); d != "" {
			msg += " (" + d + ")"
		}
		return msg, p.Do
	}
	if m, a, ok := describeStorage(err); ok {
		return m, a
	}
	return err.Error(), ""
}

// sentence capitalises the first letter and ends the text with a period.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	rs := []rune(s)
	rs[0] = unicode.ToUpper(rs[0])
	s = string(rs)
	switch s[len(s)-1] {
	case '.', '!', '?', ':':
		return s
	}
	return s + "."
}
