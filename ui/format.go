package ui

import (
	"fmt"
	"time"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// soon is how close a countdown must be before its row is refreshed every
// second instead of on the coarse tick.
const soon = 2 * time.Minute

// expiringWindow matches the service's "reconnect soon" threshold.
const expiringWindow = 14 * 24 * time.Hour

// dateLayout is how dates read in the window ("12 Mar 2027").
const dateLayout = "2 Jan 2006"

// timeLayout is a full local time for the details screen.
const timeLayout = "2 Jan 2006 15:04:05"

// humanDuration says a duration the way a person would, rounded down to the
// unit that matters: "40 s", "42 min", "3 h 5 min", "12 days".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h := int(d / time.Hour)
		m := int((d % time.Hour) / time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	default:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
}

// statusLine is the second line of an account's row: when it renews, or
// what the seller must do and by when.
func statusLine(a accounts.Account, now time.Time) string {
	switch a.Status {
	case accounts.StatusConnected:
		if !a.ReconnectBy.IsZero() && a.ReconnectBy.Sub(now) < expiringWindow {
			return "reconnect by " + a.ReconnectBy.Local().Format(dateLayout)
		}
		next := a.NextRefresh
		if next.IsZero() {
			next = a.AccessExpiry
		}
		if next.IsZero() {
			return "connected"
		}
		if !next.After(now) {
			return "token renews now"
		}
		return "token renews in " + humanDuration(next.Sub(now))
	case accounts.StatusRefreshing:
		return "renewing the token…"
	case accounts.StatusExpiring:
		if a.ReconnectBy.IsZero() {
			return "reconnect soon"
		}
		return "reconnect by " + a.ReconnectBy.Local().Format(dateLayout)
	case accounts.StatusReconnect:
		return "connect again to keep selling"
	case accounts.StatusCredentials:
		return "fix the app credentials in Settings"
	case accounts.StatusOffline:
		if a.NextRetry.After(now) {
			return "cannot reach " + providerName(a) + " — retrying in " + humanDuration(a.NextRetry.Sub(now))
		}
		return "cannot reach " + providerName(a) + " — retrying"
	case accounts.StatusNotSaved:
		if a.NextRetry.After(now) {
			return "new token not saved in the keychain — retrying in " + humanDuration(a.NextRetry.Sub(now))
		}
		return "new token not saved in the keychain — retrying"
	}
	return string(a.Status)
}

// nextDeadline is the countdown a row shows, zero when it shows none.
func nextDeadline(a accounts.Account) time.Time {
	switch a.Status {
	case accounts.StatusConnected:
		if !a.NextRefresh.IsZero() {
			return a.NextRefresh
		}
		return a.AccessExpiry
	case accounts.StatusOffline, accounts.StatusNotSaved:
		return a.NextRetry
	}
	return time.Time{}
}

// ticksFast reports whether a row's countdown is close enough to need
// per-second updates.
func ticksFast(a accounts.Account, now time.Time) bool {
	d := nextDeadline(a)
	if d.IsZero() {
		return false
	}
	left := d.Sub(now)
	return left > -time.Second && left < soon
}

func providerName(a accounts.Account) string {
	if a.ProviderName != "" {
		return a.ProviderName
	}
	return a.Provider
}

func displayName(a accounts.Account) string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	if a.RemoteID != "" {
		return a.RemoteID
	}
	return a.ID
}

// needsSeller reports whether a status asks the seller to act.
func needsSeller(s accounts.Status) bool {
	switch s {
	case accounts.StatusReconnect, accounts.StatusCredentials, accounts.StatusExpiring:
		return true
	}
	return false
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format(timeLayout)
}

// formatWhen is a time with how far it is from now, for support staff.
func formatWhen(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := t.Sub(now)
	if d >= 0 {
		return formatTime(t) + " (in " + humanDuration(d) + ")"
	}
	return formatTime(t) + " (" + humanDuration(-d) + " ago)"
}
