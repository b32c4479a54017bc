package ui

import (
	"errors"
	"strings"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// outcome is a failure told in words: what happened and what to do.
type outcome struct {
	Title string
	What  string
	Do    string
}

// describe turns an error from the service into sentences for a seller.
// The provider's own advice wins when it has some.
func describe(err error, provider string) outcome {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		msg := err.Error()
		if portBusy(msg) {
			return portBusyOutcome(provider)
		}
		return outcome{"Something went wrong", "SellerConnect could not finish: " + msg + ".",
			"Try again. If it keeps happening, save a diagnostic report from Help and send it to support."}
	}
	o := outcome{}
	switch oe.Kind {
	case oauth.KindDenied:
		o = outcome{"Access was declined",
			"Access to your " + provider + " account was declined in the browser.",
			"To connect, start again and press Approve (or Allow) on " + provider + "'s page."}
	case oauth.KindCancelled:
		o = outcome{"No answer from the browser",
			"The approval in the browser did not finish in time.",
			"Start again. If no browser window opened, use Copy link and open the address in your browser yourself."}
	case oauth.KindCredentials:
		o = outcome{"App credentials were refused",
			provider + " refused SellerConnect's app credentials (client id or secret).",
			"Check the app credentials for " + provider + " in Settings, then connect again."}
	case oauth.KindTemporary:
		o = outcome{provider + " could not be reached",
			"SellerConnect could not reach " + provider + " or it answered with a temporary error.",
			"Check your internet connection and try again in a few minutes."}
	case oauth.KindProvider:
		o = outcome{provider + " answered strangely",
			provider + " sent an answer SellerConnect could not understand.",
			"Try again later. If it keeps happening, save a diagnostic report from Help for support."}
	case oauth.KindReconnect:
		o = outcome{"The approval expired",
			provider + " no longer accepts this approval.",
			"Start again and approve in the browser."}
	case oauth.KindConfig:
		if portBusy(oe.Error()) {
			return portBusyOutcome(provider)
		}
		o = outcome{"SellerConnect is not set up for " + provider,
			"The settings for " + provider + " cannot work as they are.",
			"Check the app credentials for " + provider + " in Settings."}
	default:
		o = outcome{"Something went wrong", "SellerConnect could not finish.", "Try again."}
	}
	if d := providerSaid(oe); d != "" {
		o.What += " " + provider + " said: " + d + "."
	}
	if oe.Advice != "" {
		o.Do = oe.Advice
	}
	return o
}

func providerSaid(oe *oauth.Error) string {
	switch {
	case oe.Description != "" && oe.Code != "":
		return oe.Code + " — " + strings.TrimSuffix(oe.Description, ".")
	case oe.Description != "":
		return strings.TrimSuffix(oe.Description, ".")
	default:
		return oe.Code
	}
}

func portBusy(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "address already in use") || strings.Contains(m, "port busy") ||
		strings.Contains(m, "only one usage of each socket address")
}

func portBusyOutcome(provider string) outcome {
	return outcome{"The sign-in port is busy",
		"Another program is using the local port that " + provider + " sends the browser back to.",
		"Close other SellerConnect windows or programs that might use it, or restart the computer, then try again."}
}
