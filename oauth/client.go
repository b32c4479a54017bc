package oauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// maxAnswer caps what is read from a provider: a token answer is a few KB.
const maxAnswer = 1 << 20

// DefaultTimeout bounds one request when neither the context nor the
// http.Client sets a shorter limit.
const DefaultTimeout = 30 * time.Second

// Client sends token, test and revocation requests in each provider's
// dialect. The zero value is ready to use.
//
// A Client never retries a token request by itself: a retry can burn a
// single-use authorization code or a rotating refresh token, so whether to
// try again is the caller's decision, informed by the error's Kind.
type Client struct {
	// HTTP sends the requests; http.DefaultClient's transport when nil. Its
	// CheckRedirect is replaced: redirects are never followed, so
	// credentials never travel to another address.
	HTTP *http.Client
	// Recorder, when set, receives every exchange with secrets redacted.
	Recorder ExchangeRecorder
	// Now is the clock for expiry times; time.Now when nil.
	Now func() time.Time
	// Timeout bounds each request; DefaultTimeout when zero.
	Timeout time.Duration
}

func (c *Client) now() time.Time {
	if c != nil && c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) httpClient() *http.Client {
	hc := http.Client{}
	if c != nil && c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// outgoing is one request as a dialect shapes it.
type outgoing struct {
	op          string
	method      string
	url         string
	header      http.Header
	body        []byte
	secrets     redactor
	sensitive   map[string]bool   // dialect field names holding tokens (refreshToken)
	masked      map[string]string // header name → how it is recorded, for headers built from secrets
	rotatingUse bool              // the request spends a rotating refresh token
}

// answer is what came back.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send performs one request and records it. A transport failure, a redirect
// or an oversized answer comes back as a classified *Error; any other
// answer, successful or not, is for the caller to read.
//
// On success the exchange is returned unrecorded: the caller passes it to
// done with its verdict on the answer.
//
// o's address comes from a resolved profile, so it has been checked.
func (c *Client) send(ctx context.Context, o *outgoing) (*answer, *Exchange, *Error) {
	timeout := DefaultTimeout
	if c != nil && c.Timeout > 0 {
		timeout = c.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, o.method, o.url, bytes.NewReader(o.body))
	if err != nil {
		return nil, nil, configError(o.op, "cannot build the request: %v", err)
	}
	req.Header = o.header
	start := time.Now()
	x := Exchange{Time: c.now(), Op: o.op, Method: o.method, URL: o.secrets.scrub(o.url), RequestHeaders: map[string]string{}}
	for k := range o.header {
		if m, ok := o.masked[k]; ok {
			x.RequestHeaders[k] = m
			continue
		}
		x.RequestHeaders[k] = redactHeader(k, o.header.Get(k), &o.secrets)
	}
	if len(o.body) > 0 {
		x.RequestBody = redactBody(o.body, o.sensitive, &o.secrets)
	}
	resp, err := c.httpClient().Do(req)
	x.Latency = time.Since(start)
	if err != nil {
		e := networkError(o, ctx, err)
		c.done(o, &x, e, "")
		return nil, nil, e
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	x.Latency = time.Since(start)
	x.Status = resp.StatusCode
	var e *Error
	switch {
	case err != nil:
		e = networkError(o, ctx, err)
		e.Status = resp.StatusCode
	case len(body) > maxAnswer:
		e = newError(KindProvider, o.op, fmt.Errorf("the answer is larger than %d bytes", maxAnswer))
		e.Status = resp.StatusCode
		body = body[:4096]
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// A settings problem (the address in the profile is not the
		// endpoint's), not the provider failing: say where it points.
		where := "another address"
		if loc, lerr := resp.Location(); lerr == nil {
			loc.RawQuery, loc.Fragment, loc.User = "", "", nil
			where = loc.String()
		}
		e = newError(KindConfig, o.op, fmt.Errorf("%s answered HTTP %d, redirecting to %s; redirects are not followed, so credentials are not sent there", x.URL, resp.StatusCode, where))
		e.Status = resp.StatusCode
		e.Advice = fmt.Sprintf("Correct the provider's address in its provider file (%s is where the provider points), or report it if the address is built in.", where)
	}
	// The request's field positions say nothing about the answer's fields.
	x.ResponseBody = redactBody(body, o.sensitive, o.secrets.withoutFields())
	if e != nil {
		c.done(o, &x, e, "")
		return nil, nil, e
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: body}, &x, nil
}

// done records an exchange send returned, with the caller's verdict; the
// error text is scrubbed of the request's secrets too.
func (c *Client) done(o *outgoing, x *Exchange, err error, warning string) {
	if err != nil {
		x.Error = o.secrets.scrub(err.Error())
	}
	x.Warning = o.secrets.scrub(warning)
	c.record(*x)
}

func (c *Client) record(x Exchange) {
	if c != nil && c.Recorder != nil {
		c.Recorder.RecordExchange(x)
	}
}

// networkError classifies a request that got no usable answer.
func networkError(o *outgoing, ctx context.Context, err error) *Error {
	var e *Error
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		e = newError(KindCancelled, o.op, errors.New("cancelled before the provider answered"))
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		e = newError(KindTemporary, o.op, errors.New("the provider did not answer in time"))
	default:
		e = newError(KindTemporary, o.op, scrubError(err, &o.secrets))
	}
	if o.rotatingUse {
		e.Advice += " The refresh may have reached the provider; if it rotated the token the answer was lost, and the next refresh will show whether the account needs reconnecting."
	}
	return e
}

// scrubError keeps a transport error's text but never a secret in it.
func scrubError(err error, r *redactor) error {
	return errors.New(r.scrub(err.Error()))
}
