// Package emulator is a provider emulator: a real HTTP server on 127.0.0.1
// that speaks each provider's OAuth dialect and enforces its rules, for the
// app's tests, the benchmarks and the built-in Demo marketplace. It is the
// provider side only: it speaks HTTP and imports nothing of package oauth.
//
// # Starting
//
//	em := emulator.New(emulator.Options{})  // defaults fit the built-in catalog
//	if err := em.Start(); err != nil { ... }  // listens on 127.0.0.1:<free port>
//	defer em.Close()
//	p := profile.Rebase(em.URL() + "/depop")  // depop, depop-staging
//
// Each dialect is served under a path prefix equal to its name, with the
// real provider's paths below it, so Rebase(em.URL()+"/<dialect>") points a
// catalog profile at it (the demo profile's paths already start with /demo;
// Rebase keeps that prefix once).
//
//	dialect      authorize (GET page, POST form)   token (POST)                         test call (GET, Bearer)          revoke
//	depop        /depop/settings/oauth/apps/       /depop/api/v1/oauth2/access-token/   /depop/api/v1/shop/              none
//	ebay         /ebay/oauth2/authorize            /ebay/identity/v1/oauth2/token       /ebay/commerce/identity/v1/user/ none
//	vaultist     none (password sign-in)           /vaultist/v1/auth/token              /vaultist/v1/users/me            none
//	smartthings  /smartthings/oauth/authorize      /smartthings/oauth/token             /smartthings/v1/locations        none
//	             (also under /smartthings/v1/oauth/...)                                 /smartthings/v1/users/me
//	demo         /demo/oauth/authorize             /demo/oauth/token                    /demo/api/v1/me (and /shop)      /demo/oauth/revoke
//
// # Default configuration
//
// Options.Dialects[name] overrides a dialect; zero fields keep the defaults.
// Lifetimes are in seconds; Options.Now is the clock every expiry is judged by.
//
//	dialect      client (secret)                  redirect                                   access  refresh          code   rotation  refresh lifetime
//	depop        test-client (test-secret)        http://127.0.0.1:53682/callback, exactly   3600    1 year           600    yes       absolute from consent
//	ebay         test-client (test-secret)        RuName SellerConnect-test-RuName →         7200    47304000 (18 mo) 299    no        from issue
//	                                              https://sellerconnect.example/ebay/accepted
//	vaultist     partnerId 1234                   (none)                                     3600    30 days          -      yes       from issue
//	smartthings  test-client (test-secret)        http://127.0.0.1:53682/callback, exactly   86400   30 days          300    yes       rolling (from issue)
//	demo         sellerconnect-demo (public)      http://127.0.0.1:<any port>/<any path>     120     30 days          600    yes       rolling (from issue)
//
// The seller on every consent page is seller@example.com / "correct horse"
// (name "test-seller", id "1001"; the demo's shop is "Harbour Street
// Vintage"), which is also Vault.ist's sign-in. Client.RedirectURIs entries
// match exactly, except that a "*" port accepts any port and a "/*" path any
// path. Dialect.Rotation switches rotation on or off (Vault.ist's "if
// applicable").
//
// # What each dialect enforces
//
// Authorization (every browser dialect): an unknown client_id or a
// redirect_uri that is not registered gives an HTML error page (400), never
// a redirect. Other faults redirect with error, error_description and state:
// response_type must be code; scopes must be known (Depop) and joined with
// the dialect's separator (Depop: a literal "+", so a space is invalid_scope);
// PKCE must be S256 with a well-formed challenge, and is required for Depop,
// the Demo and any public client (optional elsewhere, but verified when a
// challenge was sent). Depop also requires state and scope; eBay requires
// scope. GET serves the consent page (everything echoed is HTML-escaped);
// its form POSTs decision=approve (302 to redirect_uri?code&state; eBay adds
// expires_in) or decision=deny (302 with error=access_denied). eBay sends
// the browser to the RuName's https accepted URL.
//
// Codes are single use (any redemption attempt consumes them), expire after
// CodeTTL, belong to one client, and need the exact redirect_uri and the
// matching code_verifier.
//
// Depop: form body only; client_id and client_secret in the body (a Basic
// header does not count); a wrong secret is 401 {"code":401,"error":"client
// secret does not match",...}; every error body has code, error, message,
// id (a fresh UUID), detail, error_message and error_description. Bad codes
// and PKCE failures are 400 invalid_grant; an unknown, rotated-away, expired
// or revoked refresh token is 401 "invalid_refresh_token". Tokens are
// pat_<grant>_<hex> / prt_<grant>_<hex>. A refresh rotates: the previous
// access and refresh tokens die at once; the new refresh token keeps the
// expiry of the first consent. The test call needs shop_read (403
// insufficient_scope otherwise) and answers {id, username, country_code}.
//
// eBay: Basic client authentication (401 invalid_client otherwise), form
// body; redirect_uri on the code grant is the RuName. The code grant answers
// token_type "User Access Token", refresh_token and refresh_token_expires_in;
// a refresh answers no refresh_token (no rotation) and accepts an optional
// space-separated scope that must equal or be a subset of the consented ones
// (400 invalid_scope). Access tokens are over 2,500 characters and contain
// "^", "#", "+", "/" and "=". The test call needs commerce.identity.readonly
// and answers {userId, username, ...}; failures use eBay's {"errors":[...]}.
//
// Vault.ist: POST /v1/auth/token with header partnerId (an int32 equal to
// Dialect.PartnerID: missing or malformed → 400, wrong → 401
// {status:"UNAUTHORIZED"}), header grantType and Content-Type
// application/json (415 otherwise). grantType refresh_token takes
// {"refreshToken"}: missing → 400 {"error":"invalid_request",
// "error_description":"Missing refresh token."}, invalid → 400
// {"error":"invalid_grant","error_description":"Refresh token has expired or
// is invalid."}. grantType password_email takes {"email","password"}: wrong
// → 401 {status:"UNAUTHORIZED", message, traceId, errors:[]}; blank fields →
// 400 {status:"BAD_REQUEST", ..., errors:[{field, message}]}. With rotation
// (the default) a refresh returns a new refresh token and ends the old ones.
//
// SmartThings: Basic client authentication and a form body; a JSON body (or
// no Basic header) is 401 {"error":"unauthorized"}, a wrong secret 401
// invalid_client. The refresh grant needs client_id in the body too
// (matching Basic); redirect_uri is not needed. Rotation; the new refresh
// token lives 30 days from its issue. The test call needs r:locations:*
// (granted by default when no scope is asked for).
//
// Demo: a public client (client_id in the body or Basic with an empty
// password, no secret), PKCE required, any-port loopback redirect on
// 127.0.0.1, rotation, 120-second access tokens, RFC 7009 revocation, and a
// test call answering {id, username, shop_name, name, ...} (shop_read,
// granted when no scope is asked for).
//
// # Faults
//
// Inject(dialect, Fault) queues a misbehaviour of that dialect's token
// endpoint for the next Fault.Count token requests (0: until Clear): each
// request takes the oldest queued fault. Kinds: FaultLatency (then handled
// normally), FaultStatus (5xx), FaultRateLimit (429 + Retry-After),
// FaultGarbage (200, not JSON), FaultHTML (an HTML page) — these four do not
// touch any state — and FaultDropAfterRotate, which handles the request
// completely (rotating the refresh token, or consuming the code) and then
// closes the connection without answering.
//
// # Helpers
//
// Approve, ApproveAs and Deny play the seller on the consent page and return
// the redirect address without following it. AutoApprover and AutoDenier
// implement Open(url string) error for the app's connect flow: they consent,
// then follow a loopback redirect in the background (outcome on Followed) or,
// for an https target such as eBay's, put the final address on Pasted.
//
// # Inspection
//
// Issued returns every code and token issued (for leak tests; switch it off
// with Options.NoIssuedLog). Stats(dialect) counts consent pages, approvals,
// denials, token requests, codes exchanged, refreshes, invalid-grant
// answers, reuse of rotated-away refresh tokens, refreshes of one grant that
// overlapped, client authentication failures, faults, test calls and
// revocations. AccessValid and RefreshValid check a token; Grants counts live
// grants; RevokeGrant(dialect, anyToken) revokes a grant as a seller
// revoking the app does, RevokeSeller(dialect, seller) every grant of a
// seller, as an eBay password change does.
//
// State lives in maps per dialect under one mutex; nothing runs per token.
// Rotated-away refresh tokens are remembered (4 per grant) only to tell
// reuse apart from garbage.
package emulator
