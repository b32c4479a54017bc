package oauth

import "time"

// Exchange is one request to a provider's token, test or revocation endpoint,
// recorded for diagnostics. Every secret in it is already redacted.
type Exchange struct {
	Time           time.Time         `json:"time"`
	Op             string            `json:"op"` // "exchange", "refresh", "signin", "test", "revoke"
	Method         string            `json:"method"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers,omitempty"`
	RequestBody    string            `json:"request_body,omitempty"`
	Status         int               `json:"status"`
	Latency        time.Duration     `json:"latency"`
	ResponseBody   string            `json:"response_body,omitempty"`
	Error          string            `json:"error,omitempty"`
	Warning        string            `json:"warning,omitempty"` // see Token.Warning
}

// ExchangeRecorder receives each exchange once it has ended.
type ExchangeRecorder interface {
	RecordExchange(Exchange)
}

// ExchangeRecorderFunc adapts a function to ExchangeRecorder.
type ExchangeRecorderFunc func(Exchange)

// RecordExchange calls f.
func (f ExchangeRecorderFunc) RecordExchange(x Exchange) { f(x) }
