package query

import "strings"

// SearchWords cuts a search text into the lower-cased words Match looks
// for, in order, as a phrase: Tokens' rule, except that with wild the
// wildcards * and ? count as letters and stay in their words. The index
// package searches these words.
func SearchWords(text string, wild bool) []string {
	var out []string
	for i := 0; ; {
		a, b, next := nextToken(text, i, wild)
		if a < 0 {
			return out
		}
		out = append(out, strings.ToLower(text[a:b]))
		i = next
	}
}

// JSONNumber parses s when it is a number in JSON syntax, as details
// values are compared; an out-of-range one is ±Inf.
func JSONNumber(s string) (float64, bool) { return jsonNumber(s) }
