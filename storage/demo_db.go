package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The Demo marketplace's grants live in the demo_grants table, one row per
// code or token, keyed by the SHA-256 of its value (the value itself is
// never stored). kind says what the row is:
//
//	code     an authorization code (data: DemoCode; Used once redeemed,
//	         then kept while the tokens it issued may live)
//	access   the grant's live access token (data: the grant, with the
//	         token's own scopes)
//	refresh  the grant's live refresh token (data: the grant)
//	retired  a refresh token rotation replaced, kept to recognise replay
//
// Every row names its grant, so ending a grant is one DELETE. expires is
// in Unix milliseconds; a row past it is dead and SweepDemo deletes it.
const (
	demoCode    = "code"
	demoAccess  = "access"
	demoRefresh = "refresh"
	demoRetired = "retired"
)

// DemoRetiredKept is how many replaced refresh tokens a grant remembers to
// recognise their replay. An older one is simply unknown.
const DemoRetiredKept = 16

var (
	// ErrDemoInvalid is an unknown, expired, already used or revoked code
	// or token.
	ErrDemoInvalid = errors.New("demo: unknown, expired or revoked code or token")
	// ErrDemoReplay is a used code or a replaced refresh token presented
	// again: its grant has been revoked.
	ErrDemoReplay = errors.New("demo: code or refresh token used twice; its grant is revoked")
)

// DemoGrant is one seller's consent to one client.
type DemoGrant struct {
	ID       string    `json:"id"`
	ClientID string    `json:"client_id"`
	SellerID string    `json:"seller_id"`
	Seller   string    `json:"seller"`
	Scopes   []string  `json:"scopes"`
	Created  time.Time `json:"created"`
}

// DemoCode is an authorization code's request: the grant it will start and
// what the token request must match.
type DemoCode struct {
	Grant       DemoGrant `json:"grant"`
	RedirectURI string    `json:"redirect_uri"`
	Challenge   string    `json:"challenge"` // PKCE S256 code_challenge
	Expires     time.Time `json:"expires"`
	Used        bool      `json:"used"`
}

// DemoTokens are the tokens a code exchange or a refresh issues.
type DemoTokens struct {
	Access         string
	AccessExpires  time.Time
	AccessScopes   []string // nil: the grant's
	Refresh        string
	RefreshExpires time.Time
}

// demoHash is what the table keeps of a code or token.
func demoHash(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:])
}

func demoMillis(t time.Time) int64 { return t.UnixMilli() }

// newDemoGrantID returns a random grant id.
func newDemoGrantID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PutDemoCode stores an authorization code (its hash) for c, giving c's
// grant a new id, and returns that id.
func (d *DB) PutDemoCode(code string, c DemoCode) (string, error) {
	if code == "" {
		return "", errors.New("storage: empty demo code")
	}
	c.Grant.ID, c.Used = newDemoGrantID(), false
	data, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	err = d.tx(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO demo_grants(hash, kind, grant_id, expires, data) VALUES(?, ?, ?, ?, ?)`,
			demoHash(code), demoCode, c.Grant.ID, demoMillis(c.Expires), string(data))
		return err
	})
	if err != nil {
		return "", err
	}
	return c.Grant.ID, nil
}

// RedeemDemoCode exchanges an authorization code for t, once. Any attempt
// uses the code up: check (the caller's client, redirect_uri and PKCE
// rules) runs after the code is marked used, and its error is returned
// with no tokens issued. A code already used gives ErrDemoReplay and
// revokes the grant it started; an unknown or expired one ErrDemoInvalid.
func (d *DB) RedeemDemoCode(code string, now time.Time, check func(DemoCode) error, t DemoTokens) (DemoGrant, error) {
	var g DemoGrant
	var refused error
	err := d.tx(func(tx *sql.Tx) error {
		var kind, data string
		var expires int64
		err := tx.QueryRow(`SELECT kind, expires, data FROM demo_grants WHERE hash = ?`, demoHash(code)).Scan(&kind, &expires, &data)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && kind != demoCode) {
			refused = ErrDemoInvalid
			return nil
		}
		if err != nil {
			return err
		}
		var c DemoCode
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return fmt.Errorf("demo code row: %w", err)
		}
		if c.Used {
			refused = ErrDemoReplay
			return endDemoGrant(tx, c.Grant.ID)
		}
		if expires <= demoMillis(now) {
			refused = ErrDemoInvalid
			return nil
		}
		c.Used = true
		used, err := json.Marshal(c)
		if err != nil {
			return err
		}
		// A code that issued tokens is remembered as long as they may live,
		// so its replay revokes them even after the code's own expiry.
		if refused = check(c); refused != nil {
			_, err = tx.Exec(`UPDATE demo_grants SET data = ? WHERE hash = ?`, string(used), demoHash(code))
			return err
		}
		if _, err := tx.Exec(`UPDATE demo_grants SET data = ?, expires = ? WHERE hash = ?`,
			string(used), demoMillis(t.RefreshExpires), demoHash(code)); err != nil {
			return err
		}
		g = c.Grant
		g.Created = now
		return putDemoTokens(tx, g, t)
	})
	if err != nil {
		return DemoGrant{}, err
	}
	if refused != nil {
		return DemoGrant{}, refused
	}
	return g, nil
}

// RotateDemoRefresh runs a refresh with refresh token old: when check (the
// caller's client and scope rules) accepts the grant, old is replaced by
// t.Refresh and the grant's access tokens by t.Access, at once. check's
// error is returned with nothing changed. A replaced refresh token gives
// ErrDemoReplay and revokes the grant; an unknown one ErrDemoInvalid, as
// does an expired one (whose grant is then deleted).
func (d *DB) RotateDemoRefresh(old string, now time.Time, check func(DemoGrant) error, t DemoTokens) (DemoGrant, error) {
	var g DemoGrant
	var refused error
	err := d.tx(func(tx *sql.Tx) error {
		var kind, grantID, data string
		var expires int64
		err := tx.QueryRow(`SELECT kind, grant_id, expires, data FROM demo_grants WHERE hash = ?`, demoHash(old)).Scan(&kind, &grantID, &expires, &data)
		if errors.Is(err, sql.ErrNoRows) {
			refused = ErrDemoInvalid
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case kind == demoRetired:
			refused = ErrDemoReplay
			return endDemoGrant(tx, grantID)
		case kind != demoRefresh:
			refused = ErrDemoInvalid
			return nil
		case expires <= demoMillis(now):
			refused = ErrDemoInvalid
			return endDemoGrant(tx, grantID)
		}
		if err := json.Unmarshal([]byte(data), &g); err != nil {
			return fmt.Errorf("demo refresh row: %w", err)
		}
		if err := check(g); err != nil {
			refused = err
			return nil
		}
		if _, err := tx.Exec(`DELETE FROM demo_grants WHERE grant_id = ? AND kind = ?`, grantID, demoAccess); err != nil {
			return err
		}
		// The replaced token is remembered as long as the new one lives.
		if _, err := tx.Exec(`UPDATE demo_grants SET kind = ?, expires = ? WHERE hash = ?`,
			demoRetired, demoMillis(t.RefreshExpires), demoHash(old)); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM demo_grants WHERE grant_id = ? AND kind = ? AND hash NOT IN (
			SELECT hash FROM demo_grants WHERE grant_id = ? AND kind = ? ORDER BY expires DESC LIMIT ?)`,
			grantID, demoRetired, grantID, demoRetired, DemoRetiredKept); err != nil {
			return err
		}
		return putDemoTokens(tx, g, t)
	})
	if err != nil {
		return DemoGrant{}, err
	}
	if refused != nil {
		return DemoGrant{}, refused
	}
	return g, nil
}

// putDemoTokens inserts a grant's access and refresh token rows.
func putDemoTokens(tx *sql.Tx, g DemoGrant, t DemoTokens) error {
	if t.Access == "" || t.Refresh == "" {
		return errors.New("storage: demo tokens without a value")
	}
	refresh, err := json.Marshal(g)
	if err != nil {
		return err
	}
	a := g
	if t.AccessScopes != nil {
		a.Scopes = t.AccessScopes
	}
	access, err := json.Marshal(a)
	if err != nil {
		return err
	}
	const ins = `INSERT INTO demo_grants(hash, kind, grant_id, expires, data) VALUES(?, ?, ?, ?, ?)`
	if _, err := tx.Exec(ins, demoHash(t.Access), demoAccess, g.ID, demoMillis(t.AccessExpires), string(access)); err != nil {
		return err
	}
	_, err = tx.Exec(ins, demoHash(t.Refresh), demoRefresh, g.ID, demoMillis(t.RefreshExpires), string(refresh))
	return err
}

// endDemoGrant deletes every row of a grant: its tokens stop working.
func endDemoGrant(tx *sql.Tx, grantID string) error {
	_, err := tx.Exec(`DELETE FROM demo_grants WHERE grant_id = ?`, grantID)
	return err
}

// DemoAccess looks up a live access token: the grant it belongs to, with
// the token's scopes. An unknown, expired or revoked one is ErrDemoInvalid.
func (d *DB) DemoAccess(token string, now time.Time) (DemoGrant, error) {
	var data string
	err := d.sql.QueryRow(`SELECT data FROM demo_grants WHERE hash = ? AND kind = ? AND expires > ?`,
		demoHash(token), demoAccess, demoMillis(now)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return DemoGrant{}, ErrDemoInvalid
	}
	if err != nil {
		return DemoGrant{}, fmt.Errorf("database %s: %w", d.path, err)
	}
	var g DemoGrant
	if err := json.Unmarshal([]byte(data), &g); err != nil {
		return DemoGrant{}, fmt.Errorf("demo access row: %w", err)
	}
	return g, nil
}

// RevokeDemoToken ends the grant an access, refresh or replaced refresh
// token belongs to, when that grant is clientID's (RFC 7009). It reports
// whether a grant was revoked; an unknown token is not an error.
func (d *DB) RevokeDemoToken(token, clientID string) (bool, error) {
	revoked := false
	err := d.tx(func(tx *sql.Tx) error {
		var kind, grantID, data string
		err := tx.QueryRow(`SELECT kind, grant_id, data FROM demo_grants WHERE hash = ?`, demoHash(token)).Scan(&kind, &grantID, &data)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && kind == demoCode) {
			return nil
		}
		if err != nil {
			return err
		}
		var g DemoGrant
		if err := json.Unmarshal([]byte(data), &g); err != nil {
			return fmt.Errorf("demo token row: %w", err)
		}
		if g.ClientID != clientID {
			return nil
		}
		revoked = true
		return endDemoGrant(tx, grantID)
	})
	return revoked, err
}

// SweepDemo deletes the rows dead at now (expired codes and tokens) and
// returns how many.
func (d *DB) SweepDemo(now time.Time) (int64, error) {
	var n int64
	err := d.tx(func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM demo_grants WHERE expires <= ?`, demoMillis(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
