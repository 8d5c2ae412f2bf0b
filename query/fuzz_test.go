package query

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are every query of the tests, good and bad, and a few more
// shapes.
func fuzzSeeds() []string {
	seeds := append([]string{}, seedQueries...)
	for _, c := range canonicalTextCases {
		seeds = append(seeds, c.in)
	}
	for _, c := range parseErrorCases {
		seeds = append(seeds, c.query)
	}
	for _, cases := range [][]matchCase{
		matchSeedExamplesCases, matchBooleanOperatorsCases, matchKeywordFieldsCases,
		matchExistsCases, matchIPCases, matchSeverityCases, matchSeqCases,
		matchDetailsCases, matchFreeTextCases, matchTextFieldsCases, matchTimeEdgesCases,
	} {
		for _, c := range cases {
			seeds = append(seeds, c.query)
		}
	}
	return append(seeds,
		"a b OR c -d NOT (e OR f)",
		`"AND" "or" x-y "a \" b" "c\\d"`,
		"user:*@x.com severity:>=high ip:10.0.0.0/8 ip:2001:db8::/32",
		"details.rows:>100000 details.x:[-5 TO 5] seq:[10 TO *]",
		"time:[2025-01-01 TO 2025-01-31] time:>=now-1h30m time:today",
		"管理者 🚀 ünï ∑ \u202e \x00 \xff",
		"a | top 10 ip", "a | count by details.x", "a | timechart 1w2d",
		"((((a", "))", "a:", ":", "-", "--a", "[", "]", `"`, `\`, "|", "||",
		"user:(a OR b)", "a\n  OR b", "details.x:[\"-5\" TO \"--5\"]",
	)
}

// FuzzParse checks that Parse never panics, that what parses prints to a
// canonical text that parses to the same tree and prints the same again,
// that it compiles and matches without panicking, and that errors are one
// line with a position inside the query.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	evs := decodeAll(f, seedCorpus...)
	now := at("2025-01-31T12:00:00Z")
	f.Fuzz(func(t *testing.T, text string) {
		q, err := Parse(text)
		if err != nil {
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("Parse(%q) error %T, want *ParseError", text, err)
			}
			if strings.Contains(pe.Error(), "\n") {
				t.Fatalf("Parse(%q).Error() is not one line: %q", text, pe.Error())
			}
			if !pe.Pos.IsValid() || pe.Pos.Offset > len(text) {
				t.Fatalf("Parse(%q) error at %+v, outside the query", text, pe.Pos)
			}
			if utf8.ValidString(text) && pe.Pos.Column-1 > utf8.RuneCountInString(text) {
				t.Fatalf("Parse(%q) error at column %d, past the end", text, pe.Pos.Column)
			}
			_ = pe.Caret()
			return
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) prints %q, which does not parse: %v", text, printed, err)
		}
		if !sameTree(q, q2) {
			t.Fatalf("Parse(%q) prints %q, which parses to another tree:\n%#v\n%#v", text, printed, stripPos(q).Filter, stripPos(q2).Filter)
		}
		if again := q2.String(); again != printed {
			t.Fatalf("Parse(%q) prints %q, which prints %q", text, printed, again)
		}
		m, err := Compile(q.Filter, now)
		if err != nil {
			t.Fatalf("Parse(%q) parses but does not compile: %v", text, err)
		}
		m2, _ := Compile(q2.Filter, now)
		for _, ev := range evs {
			if m.Match(ev) != m2.Match(ev) {
				t.Fatalf("%q and its canonical %q disagree on %s", text, printed, ev.ID)
			}
		}
	})
}
