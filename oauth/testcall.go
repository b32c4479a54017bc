package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Identity names the account a token belongs to.
type Identity struct {
	ID   string
	Name string
}

// Test makes the profile's test call with tok and reads the account's id and
// display name from the answer (Test.IDPath and Test.NamePath).
func (c *Client) Test(ctx context.Context, p *Profile, tok *Token) (Identity, error) {
	if p == nil {
		return Identity{}, configError("test", "no provider profile")
	}
	r, err := p.resolution()
	if err != nil {
		return Identity{}, configError("test", "%v", err)
	}
	return c.test(ctx, r, tok)
}

func (c *Client) test(ctx context.Context, r *resolved, tok *Token) (Identity, error) {
	p := &r.Profile
	if p.Test.URL == "" {
		e := newError(KindConfig, "test", errNoTest)
		e.Advice = fmt.Sprintf("%s has no test call configured; the account's tokens are kept valid all the same.", p.Name)
		return Identity{}, e
	}
	if tok == nil || tok.AccessToken == "" {
		return Identity{}, newError(KindReconnect, "test", errors.New("the account has no access token"))
	}
	o := &outgoing{op: "test", method: http.MethodGet, url: p.Test.URL, header: http.Header{}}
	o.header.Set("Authorization", bearer(tok))
	o.header.Set("Accept", "application/json")
	o.secrets.add(tok.AccessToken, tok.RefreshToken)
	a, x, e := c.send(ctx, o)
	if e != nil {
		return Identity{}, e
	}
	if a.status < 200 || a.status > 299 {
		e := classify("test", p, a, c.now(), &o.secrets)
		c.done(o, x, e, "")
		return Identity{}, e
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(a.body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		e := newError(KindProvider, "test", errors.New("the test call's answer is not JSON"))
		e.Status = a.status
		c.done(o, x, e, "")
		return Identity{}, e
	}
	id := Identity{ID: clip(lookupPath(v, p.Test.IDPath), 200), Name: clip(lookupPath(v, p.Test.NamePath), 200)}
	c.done(o, x, nil, "")
	return id, nil
}

// lookupPath follows a dot path ("user.name", "items.0.name") through JSON
// and returns a string or number found there, or "".
func lookupPath(v any, path string) string {
	if path == "" {
		return ""
	}
	for _, part := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			v = t[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(t) {
				return ""
			}
			v = t[i]
		default:
			return ""
		}
	}
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}
