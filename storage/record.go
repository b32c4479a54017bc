package storage

import "time"

// SchemaVersion is the version of the records file this build writes.
const SchemaVersion = 1

// Record is the non-secret part of an account, kept in the records file.
type Record struct {
	ID          string `json:"id"`                     // local account id, for example "depop-3f9a2c"
	Provider    string `json:"provider"`               // profile id, for example "depop"
	DisplayName string `json:"display_name,omitempty"` // from the test call, for example the shop's username
	RemoteID    string `json:"remote_id,omitempty"`    // the provider's id of the account

	Scopes        []string  `json:"scopes,omitempty"`
	AccessExpiry  time.Time `json:"access_expiry,omitempty"`
	RefreshExpiry time.Time `json:"refresh_expiry,omitempty"` // "reconnect by"
	ConsentAt     time.Time `json:"consent_at,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	LastRefresh   time.Time `json:"last_refresh,omitempty"`
	NextRefresh   time.Time `json:"next_refresh,omitempty"`

	Status       string     `json:"status"` // accounts.Status values
	StatusReason string     `json:"status_reason,omitempty"`
	LastError    *ErrorInfo `json:"last_error,omitempty"`

	// Timeline holds the most recent diagnostics entries, oldest first.
	Timeline []TimelineEntry `json:"timeline,omitempty"`
}

// ErrorInfo is a failure as support staff need it, free of secrets.
type ErrorInfo struct {
	Time        time.Time `json:"time"`
	Kind        string    `json:"kind"`
	Op          string    `json:"op,omitempty"`
	Status      int       `json:"status,omitempty"`
	Code        string    `json:"code,omitempty"`
	Description string    `json:"description,omitempty"`
	RequestID   string    `json:"request_id,omitempty"`
	TraceID     string    `json:"trace_id,omitempty"`
	Advice      string    `json:"advice,omitempty"`
	Message     string    `json:"message,omitempty"`
}

// TimelineEntry is one line of an account's diagnostics timeline: an
// exchange with the provider, a status change or an error. Redacted.
type TimelineEntry struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"` // "exchange", "status", "error", "note"
	Summary string    `json:"summary"`
	// Detail carries the redacted exchange (method, URL, headers, bodies,
	// status, latency) or error fields, as JSON.
	Detail map[string]any `json:"detail,omitempty"`
	// Routine marks a successful exchange, of which a timeline keeps fewer
	// (see TimelineKeep). Kept in its own column.
	Routine bool `json:"-"`
}
