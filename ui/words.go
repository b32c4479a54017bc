package ui

import "github.com/sellerconnect/sellerconnect/accounts"

// outcome is a failure told in words: what happened and what to do.
type outcome struct {
	Title string
	What  string
	Do    string
}

// describe renders the service's account of a failure (accounts.ProblemOf,
// the one vocabulary both faces use) for a seller.
func describe(err error, provider string) outcome {
	p := accounts.ProblemOf(err, provider)
	return outcome{Title: p.Title, What: sentenceEnd(p.What), Do: p.Do}
}

// sentenceEnd ends text with a full stop.
func sentenceEnd(s string) string {
	if s == "" || s[len(s)-1] == '.' || s[len(s)-1] == '!' || s[len(s)-1] == '?' {
		return s
	}
	return s + "."
}
