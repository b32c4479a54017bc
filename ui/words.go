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
	o := outcome{Title: p.Title, What: sentenceEnd(p.What), Do: p.Do}
	if o.Do == "" && p.Where == accounts.WhereApp {
		o.Do = "Try again. If it keeps happening, save a diagnostic report from Help and send it to support."
	}
	return o
}

// sentenceEnd ends text with a full stop.
func sentenceEnd(s string) string {
	if s == "" || s[len(s)-1] == '.' || s[len(s)-1] == '!' || s[len(s)-1] == '?' {
		return s
	}
	return s + "."
}
