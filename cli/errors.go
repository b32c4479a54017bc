package cli

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/sellerconnect/sellerconnect/accounts"
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

// exitCode maps an error to the documented exit code: the service's
// account of the failure (accounts.ProblemOf) decides.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ce *cliError
	if errors.As(err, &ce) && ce.code != 0 {
		return ce.code
	}
	return problemExit(accounts.ProblemOf(err, ""))
}

// problemExit is the exit code for a failure as the service tells it.
func problemExit(p accounts.Problem) int {
	switch {
	case p.Badge == accounts.StatusNotSaved:
		return ExitUnsaved
	case p.Badge == accounts.StatusReconnect:
		return ExitReconnect
	case p.Badge == accounts.StatusCredentials:
		return ExitCredentials
	case p.Badge == accounts.StatusOffline:
		return ExitTemporary
	case p.Where == accounts.WherePaste:
		return ExitUsage
	}
	return ExitOther
}

// headline is the plain first sentence for a failure of a provider flow.
func headline(p accounts.Problem, subject string) string {
	if subject == "" {
		subject = "the provider"
	}
	switch {
	case p.Badge == accounts.StatusReconnect:
		return fmt.Sprintf("%s needs to be connected again", subject)
	case p.Badge == accounts.StatusCredentials && p.Where == accounts.WhereProvider:
		return fmt.Sprintf("the app's credentials were refused for %s", subject)
	case p.Badge == accounts.StatusCredentials:
		return fmt.Sprintf("the settings for %s cannot work", subject)
	case p.Where == accounts.WhereNetwork:
		return fmt.Sprintf("a temporary failure stopped the request for %s", subject)
	case p.Where == accounts.WhereProvider:
		return fmt.Sprintf("the provider's answer for %s could not be understood", subject)
	case p.Where == accounts.WhereSeller:
		return fmt.Sprintf("the request for %s ended: %s", subject, lowerFirst(p.Title))
	}
	return fmt.Sprintf("the request for %s failed", subject)
}

func lowerFirst(s string) string {
	rs := []rune(s)
	if len(rs) > 0 {
		rs[0] = unicode.ToLower(rs[0])
	}
	return string(rs)
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
	var ce *cliError
	if errors.As(err, &ce) {
		advice = ce.advice
		if advice == "" && ce.err != nil {
			_, advice = describe(ce.err, subject)
		}
		return ce.msg, advice
	}
	// What happened and what to do come from the service's one
	// vocabulary; the command line puts the account in front.
	p := accounts.ProblemOf(err, "")
	switch {
	case p.Badge == accounts.StatusNotSaved:
		return p.What, ""
	case p.Where == accounts.WherePaste, p.Where == accounts.WhereKeychain:
		return p.What, p.Do
	case p.Where == accounts.WhereApp && p.Badge == "":
		msg = err.Error()
		if strings.HasSuffix(strings.TrimSuffix(msg, "."), strings.TrimSuffix(p.Do, ".")) {
			return msg, "" // the error says what to do already
		}
		return msg, p.Do
	}
	msg = headline(p, subject)
	if p.Details != "" {
		msg += " (" + p.Details + ")"
	}
	return msg, p.Do
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
