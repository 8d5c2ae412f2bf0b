package query

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSeedExamplesAreCanonical(t *testing.T) {
	for _, q := range seedQueries {
		parsed, err := Parse(q)
		if err != nil {
			t.Errorf("Parse(%q): %v", q, err)
			continue
		}
		if got := parsed.String(); got != q {
			t.Errorf("Parse(%q).String() = %q, want it unchanged", q, got)
		}
	}
}

// canonicalCase is a query and its canonical text. The tables of the tests
// are package variables so that FuzzParse seeds its corpus with them.
type canonicalCase struct{ in, want string }

var canonicalTextCases = []canonicalCase{
	// adjacency is AND
	{"a b", "a AND b"},
	{"a b c", "a AND b AND c"},
	// NOT > AND > OR
	{"a OR b AND c", "a OR b AND c"},
	{"a AND b OR c", "a AND b OR c"},
	{"(a OR b) AND c", "(a OR b) AND c"},
	{"a OR b c", "a OR b AND c"},
	{"NOT a AND b", "NOT a AND b"},
	{"NOT (a AND b)", "NOT (a AND b)"},
	{"NOT a OR b", "NOT a OR b"},
	{"a OR NOT b", "a OR NOT b"},
	{"NOT NOT a", "NOT NOT a"},
	// "-" is NOT
	{"-a", "NOT a"},
	{"a -b", "a AND NOT b"},
	{"-(a OR b)", "NOT (a OR b)"},
	{"-action:logout", "NOT action:logout"},
	{`-"a b"`, `NOT "a b"`},
	// a "-" inside a word is part of it
	{"x-forwarded", "x-forwarded"},
	{"user:-bob", "user:-bob"},
	// operators in any case
	{"a and b or not c", "a AND b OR NOT c"},
	{"a And b Or Not c", "a AND b OR NOT c"},
	// quoted operators are words
	{`"AND"`, `"AND"`},
	{`"or" "Not"`, `"or" AND "Not"`},
	{`action:"OR"`, `action:"OR"`},
	// parentheses are flattened and dropped where not needed
	{"((a))", "a"},
	{"(a OR b) OR c", "a OR b OR c"},
	{"a AND (b AND c)", "a AND b AND c"},
	{"(a b) (c d)", "a AND b AND c AND d"},
	{"(a OR b) (c OR d)", "(a OR b) AND (c OR d)"},
	// field names: case and aliases to canonical
	{"USER:bob", "user:bob"},
	{"Actor:bob", "user:bob"},
	{"@timestamp:>2025-01-01", "time:>2025-01-01"},
	{"timestamp:2025-01-01", "time:2025-01-01"},
	{"event_type:login.failed", "action:login.failed"},
	{"type:login.failed", "action:login.failed"},
	{"actor.role:admin", "role:admin"},
	{"src:10.0.0.1", "ip:10.0.0.1"},
	{"user_agent:chrome", "ua:chrome"},
	{"event_id:e1", "id:e1"},
	{"Details.Rows:>5", "details.rows:>5"},
	// values are kept as written
	{"action:LOGIN.Failed", "action:LOGIN.Failed"},
	{"time:>=NOW-7D", "time:>=NOW-7D"},
	// quoting is kept, and escapes round-trip
	{`user:"John Smith"`, `user:"John Smith"`},
	{`message:"say \"hi\""`, `message:"say \"hi\""`},
	{`"C:\temp"`, `"C:\\temp"`},
	{`"a\\b"`, `"a\\b"`},
	// words that hold a ':' but no field name are free text
	{"12:30", "12:30"},
	// TO is a word outside a range
	{"TO", "TO"},
	{"seq:[1 TO 2] to", "seq:[1 TO 2] AND to"},
	{"2001:db8::1", "2001:db8::1"},
	// ranges
	{"seq:[10 TO 20]", "seq:[10 TO 20]"},
	{"seq:[10 to 20]", "seq:[10 TO 20]"},
	{"seq:[* TO 20]", "seq:[* TO 20]"},
	{`details.delta:[-5 TO "5"]`, "details.delta:[-5 TO 5]"},
	{"time:[2025-01-01 TO 2025-01-31]", "time:[2025-01-01 TO 2025-01-31]"},
	// comparisons
	{"seq:>10 seq:>=10 seq:<10 seq:<=10", "seq:>10 AND seq:>=10 AND seq:<10 AND seq:<=10"},
	{`seq:>"10"`, `seq:>"10"`},
	// match-all
	{"*", "*"},
	{"NOT *", "NOT *"},
	{"user:*", "user:*"},
	// stages
	{"* | top 5 src", "* | top 5 ip"},
	{"a | COUNT BY Actor", "a | count by user"},
	{"a | timechart 60m", "a | timechart 1h"},
	{"a | timechart 7d", "a | timechart 1w"},
	{"a | timechart 30s", "a | timechart 30s"},
	{"a | timechart 1h30m", "a | timechart 1h30m"},
	{"a | timechart 1H", "a | timechart 1h"},
	// white space of any kind
	{"  a\tb\n", "a AND b"},
	{"a\u3000b", "a AND b"},
}

// TestParseCanonicalText shows how the grammar groups a query, through the
// canonical text it prints: explicit AND, NOT for "-", canonical field
// names, parentheses only where precedence needs them.
func TestParseCanonicalText(t *testing.T) {
	for _, c := range canonicalTextCases {
		q, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := q.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseTree(t *testing.T) {
	cases := []struct {
		in   string
		want Expr
	}{
		{"action:login.*", &Term{Field: "action", Value: "login.*", Wildcard: true}},
		{"user:j?hn", &Term{Field: "user", Value: "j?hn", Wildcard: true}},
		{`action:"login.*"`, &Term{Field: "action", Value: "login.*", Quoted: true}},
		{"severity:>=high", &Term{Field: "severity", Op: Ge, Value: "high"}},
		{"details.rows:>100000", &Term{Field: "details.rows", Op: Gt, Value: "100000"}},
		{"ip:2001:db8::/32", &Term{Field: "ip", Value: "2001:db8::/32"}},
		{"time:>2025-01-15T14:30:00Z", &Term{Field: "time", Op: Gt, Value: "2025-01-15T14:30:00Z"}},
		{"seq:[10 TO *]", &Range{Field: "seq", Lo: "10", Hi: "*"}},
		{"failed", &FreeText{Text: "failed"}},
		{"fail*", &FreeText{Text: "fail*", Wildcard: true}},
		{`"login failed"`, &FreeText{Text: "login failed", Phrase: true}},
		{`"fail*"`, &FreeText{Text: "fail*", Phrase: true}},
		{"*", &MatchAll{}},
		{"-a OR b", &Or{X: []Expr{&Not{X: &FreeText{Text: "a"}}, &FreeText{Text: "b"}}}},
		{"a b OR c", &Or{X: []Expr{&And{X: []Expr{&FreeText{Text: "a"}, &FreeText{Text: "b"}}}, &FreeText{Text: "c"}}}},
	}
	for _, c := range cases {
		q, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := stripExpr(q.Filter); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestParseStages(t *testing.T) {
	cases := []struct {
		in   string
		want Stage
	}{
		{"* | top 10 ip", &Top{N: 10, Field: "ip"}},
		{"* | TOP 3 details.Format", &Top{N: 3, Field: "details.format"}},
		{"* | count by user", &CountBy{Field: "user"}},
		{"* | timechart 1m", &Timechart{Interval: time.Minute}},
		{"* | timechart 15m", &Timechart{Interval: 15 * time.Minute}},
		{"* | timechart 1d", &Timechart{Interval: 24 * time.Hour}},
		{"* | timechart 1w", &Timechart{Interval: 7 * 24 * time.Hour}},
		{"* | timechart 30s", &Timechart{Interval: 30 * time.Second}},
		{"*", nil},
	}
	for _, c := range cases {
		q, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := stripPos(q).Stage; !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q).Stage = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestParsePositions(t *testing.T) {
	q, err := Parse("a AND user:\"x y\" 管理 time:>now")
	if err != nil {
		t.Fatal(err)
	}
	xs := q.Filter.(*And).X
	user := xs[1].(*Term)
	if want := (Pos{Offset: 6, Line: 1, Column: 7}); user.FieldPos != want {
		t.Errorf("user FieldPos = %v %+v, want %+v", user.FieldPos, user.FieldPos, want)
	}
	if want := (Pos{Offset: 11, Line: 1, Column: 12}); user.ValuePos != want {
		t.Errorf("user ValuePos = %+v, want %+v (the opening quote)", user.ValuePos, want)
	}
	cjk := xs[2].(*FreeText)
	if want := (Pos{Offset: 17, Line: 1, Column: 18}); cjk.TextPos != want {
		t.Errorf("管理 TextPos = %+v, want %+v", cjk.TextPos, want)
	}
	// Columns count characters, offsets bytes: 管理 is 2 columns, 6 bytes.
	tm := xs[3].(*Term)
	if want := (Pos{Offset: 24, Line: 1, Column: 21}); tm.FieldPos != want {
		t.Errorf("time FieldPos = %+v, want %+v", tm.FieldPos, want)
	}
	if want := (Pos{Offset: 30, Line: 1, Column: 27}); tm.ValuePos != want {
		t.Errorf("time ValuePos = %+v, want %+v (after the operator)", tm.ValuePos, want)
	}
	q, err = Parse("a\n  OR b")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.Filter.(*Or).X[1].Pos(), (Pos{Offset: 7, Line: 2, Column: 6}); got != want {
		t.Errorf("b on line 2 at %+v, want %+v", got, want)
	}
}

func TestScanner(t *testing.T) {
	src := `user:bob AND -(a|"x \" y"] [ or NOT` + "\n" + `"open`
	type tok struct {
		pos Pos
		tok Token
		lit string
	}
	want := []tok{
		{Pos{0, 1, 1}, WORD, "user:bob"},
		{Pos{9, 1, 10}, AND, "AND"},
		{Pos{13, 1, 14}, MINUS, "-"},
		{Pos{14, 1, 15}, LPAREN, "("},
		{Pos{15, 1, 16}, WORD, "a"},
		{Pos{16, 1, 17}, PIPE, "|"},
		{Pos{17, 1, 18}, STRING, `"x \" y"`},
		{Pos{25, 1, 26}, RBRACK, "]"},
		{Pos{27, 1, 28}, LBRACK, "["},
		{Pos{29, 1, 30}, OR, "or"},
		{Pos{32, 1, 33}, NOT, "NOT"},
		{Pos{36, 2, 1}, ILLEGAL, `"open`},
		{Pos{41, 2, 6}, EOF, ""},
		{Pos{41, 2, 6}, EOF, ""},
	}
	var s Scanner
	s.Init(src)
	for i, w := range want {
		pos, tk, lit := s.Scan()
		if got := (tok{pos, tk, lit}); got != w {
			t.Errorf("token %d = %v %v %q, want %v %v %q", i, got.pos, got.tok, got.lit, w.pos, w.tok, w.lit)
		}
	}
}

// parseErrorCase is a bad query and the error it gets: a column of 0 and
// an empty msg mean none.
type parseErrorCase struct {
	query  string
	column int
	msg    string // a part of Msg
	hint   string // a part of Hint
}

var parseErrorCases = []parseErrorCase{
	{"", 1, "empty query", "write * to match every event"},
	{"   ", 4, "empty query", "*"},
	// parentheses
	{"action:login.failed AND (ip:1.2.3.4", 25, `unclosed "(" opened here`, `close it with ")"`},
	{"(a OR (b)", 1, `unclosed "("`, ""},
	{"a)", 2, `unexpected ")"`, `no "(" is open`},
	{"()", 1, "empty parentheses", ""},
	{"(a]", 3, `unexpected "]"`, `")"`},
	// quotes
	{`user:"john`, 6, "unclosed quote", `close it with "`},
	{`a "b c`, 3, "unclosed quote", ""},
	{`"ends with \"`, 1, "unclosed quote", ""},
	// dangling operators
	{"action:login.failed AND", 21, "AND needs a term on its right", ""},
	{"a OR", 3, "OR needs a term on its right", ""},
	{"a OR OR b", 3, "OR needs a term on its right", ""},
	{"AND a", 1, "AND needs a term on its left", `quote it: "AND"`},
	{"OR a", 1, "OR needs a term on its left", ""},
	{"a NOT", 3, "NOT needs a term on its right", ""},
	{"a (b AND) c", 6, "AND needs a term on its right", ""},
	{"- a", 1, `"-" needs a term right after it`, "NOT action:logout"},
	{"a -", 3, `"-" needs a term right after it`, ""},
	// empty values
	{"user:", 6, "user: has no value", "user:VALUE"},
	{"user: bob", 6, "user: has no value", "no space after the colon"},
	{`user:""`, 6, "user has no value", "NOT user:*"},
	{"seq:>", 6, "seq:> has no value", ""},
	{"(user:)", 7, "user: has no value", ""},
	// unknown fields, with suggestions
	{"usr:bob", 1, `unknown field "usr"`, "did you mean user?"},
	{"a AND sevrity:high", 7, `unknown field "sevrity"`, "did you mean severity?"},
	{"sev:high", 1, `unknown field "sev"`, "did you mean seq or severity?"},
	{"actor.mail:x", 1, `unknown field "actor.mail"`, "did you mean actor.email?"},
	{"context.ip:1.2.3.4", 1, `unknown field "context.ip"`, "did you mean ip?"},
	{"detail.rows:>5", 1, `unknown field "detail.rows"`, "did you mean details.rows?"},
	{"details:x", 1, `unknown field "details"`, "details.KEY"},
	{"details..x:1", 1, `unknown field "details..x"`, ""},
	{"http://example.com", 1, `unknown field "http"`, `quote it: "http://example.com"`},
	{"zzzzzz:1", 1, `unknown field "zzzzzz"`, "fields are time, action"},
	{":x", 1, `":" needs a field name`, `quote it`},
	// bad values
	{"time:>2025-13-01", 7, `bad time "2025-13-01"`, "write a day (2025-01-15)"},
	{"time:yesterdayy", 6, `bad time "yesterdayy"`, ""},
	{"time:>now-7x", 7, `bad time "now-7x"`, `unknown duration unit "x"`},
	{"time:>now-", 7, `bad time "now-"`, "missing a duration"},
	{"time:>now-d", 7, `bad time "now-d"`, "a number and a unit"},
	{"time:2025-01-15T14:30:00", 6, `bad time`, "add Z for UTC"},
	{"time:2025-01*", 6, "time takes no wildcards", "range"},
	{"seq:abc", 5, `seq takes a whole number, not "abc"`, ""},
	{"seq:-1", 5, "seq takes a whole number", ""},
	{"seq:1*", 5, "seq takes no wildcards", ""},
	{"severity:>=hgh", 12, `unknown severity "hgh"`, "did you mean high?"},
	{"severity:urgent", 10, `unknown severity "urgent"`, "info, low, medium, high or critical"},
	{"category:auth", 10, `unknown category "auth"`, ""},
	{"outcome:failed", 9, `unknown outcome "failed"`, "outcome is one of success, failure or unknown"},
	{"outcome:sucess", 9, `unknown outcome "sucess"`, "did you mean success?"},
	{"ipaddr:x", 1, `unknown field "ipaddr"`, "did you mean ip?"},
	{"ip:10.0.0.0/33", 4, `bad CIDR block "10.0.0.0/33"`, "at most 32"},
	{"ip:10.0.0/8", 4, `bad CIDR block "10.0.0/8"`, ""},
	{"ip:2001:db8::/129", 4, "bad CIDR block", "128 for IPv6"},
	{"ip:10.0.0.300", 4, `"10.0.0.300" is not an IP address`, `ip:"unknown"`},
	{"details.rows:>lots", 15, `"lots" is not a number`, "details.rows:>100000"},
	{"details.rows:>1e", 15, `"1e" is not a number`, ""},
	{"message:failed*bad", 0, "", ""}, // fine: a word pattern
	{"+++", 1, `nothing to search for in "+++"`, "words of letters and digits"},
	{`"..."`, 1, "nothing to search for", ""},
	{"message:!!", 9, "nothing to search for", ""},
	// comparisons where there is no order
	{"message:>x", 9, `message cannot be compared with ">"`, "message:word"},
	{"action:>=login", 8, `action cannot be compared with ">="`, "comparisons work on time, seq, severity"},
	{"ip:>10.0.0.1", 4, `ip cannot be compared with ">"`, "ip:10.0.0.0/8"},
	{"seq:>1*", 6, "cannot be compared: it holds a wildcard", ""},
	// ranges
	{"[1 TO 2]", 1, "a range needs a field", "seq:[10 TO 20]"},
	{"seq:[10 TO", 5, `unclosed "[" opened here`, ""},
	{"seq:[10 TO 20", 5, `unclosed "[" opened here`, `close it with "]"`},
	{"seq:[10", 5, `unclosed "["`, ""},
	{"seq:[10 20]", 9, `expected TO, not "20"`, "seq:[lo TO hi]"},
	{"seq:[TO 20]", 6, "missing lower end", "write *"},
	{"seq:[10 TO ]", 12, "missing upper end", "write *"},
	{"seq:[]", 5, "empty range", ""},
	{"seq:[20 TO 10]", 12, "empty range: 20 is after 10", "seq:[10 TO 20]"},
	{"severity:[high TO low]", 19, "empty range: high is after low", ""},
	{"details.x:[5 TO -5]", 17, "empty range", ""},
	{"time:[2025-02-01 TO 2025-01-01]", 21, "empty range", ""},
	{"time:[now TO now-1d]", 14, "empty range", ""},
	{"time:[today TO yesterday]", 16, "empty range", ""},
	{"time:[2025-01-01 TO 2025-13-01]", 21, `bad time "2025-13-01"`, ""},
	{"seq:[a TO 2]", 6, `seq takes a whole number, not "a"`, ""},
	{"user:[a TO b]", 1, "user has no order to take a range of", "ranges work on time, seq"},
	{"ip:[10.0.0.1 TO 10.0.0.9]", 1, "ip has no order", ""},
	{"seq:>[1 TO 2]", 5, "a range takes no comparison", ""},
	{"user:(a OR b)", 6, "a field cannot be applied to a group", "(user:a OR user:b)"},
	// pipes
	{"| top 10 ip", 1, "missing filter before |", "* | top 10 ip"},
	{"* |", 3, "missing stage after |", "top N FIELD, count by FIELD"},
	{"* | top x ip", 9, `top takes a number of values, not "x"`, "| top 10 FIELD"},
	{"* | top 0 ip", 9, "top takes a number of values", ""},
	{"* | top 20000 ip", 9, "at most 10000", "count by"},
	{"* | top ip", 9, `top takes a number of values, not "ip"`, ""},
	{"* | top 10", 11, "top needs a field", ""},
	{"* | top 10 usr", 12, `unknown field "usr"`, "did you mean user?"},
	{"* | count ip", 11, `expected "by" after count, not "ip"`, "| count by FIELD"},
	{"* | count by", 13, "count by needs a field", ""},
	{"* | count by time", 14, "count by cannot count by time", "timechart"},
	{"* | timechart", 14, "timechart needs an interval", "1h"},
	{"* | timechart 1x", 15, `bad interval "1x"`, "unknown duration unit"},
	{"* | timechart 1", 15, `bad interval "1"`, "no unit"},
	{"* | timechart 0s", 15, "at least 1s", ""},
	{"* | timechart 1M", 15, `bad interval "1M"`, "M is not a unit"},
	{"time:>now-1M", 7, `bad time "now-1M"`, "30d"},
	{"* | sort ip", 5, `unknown stage "sort"`, "top N FIELD"},
	{"* | tpo 5 ip", 5, `unknown stage "tpo"`, "did you mean top?"},
	{"* | top 5 ip | count by user", 14, "only one stage", ""},
	{"* | top 5 ip extra", 14, `unexpected "extra" after the stage`, ""},
	{"* | (", 5, "expected a stage", ""},
	// nesting
	{strings.Repeat("(", 201) + "a" + strings.Repeat(")", 201), 201, "more than 200 deep", ""},
	{strings.Repeat("NOT ", 201) + "a", 801, "more than 200 deep", ""},
	{strings.Repeat("-", 201) + "a", 201, "more than 200 deep", ""},
	{strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200), 0, "", ""},
}

func TestParseErrors(t *testing.T) {
	for _, c := range parseErrorCases {
		_, err := Parse(c.query)
		if c.msg == "" {
			if err != nil {
				t.Errorf("Parse(%q): %v, want no error", c.query, err)
			}
			continue
		}
		pe, ok := err.(*ParseError)
		if !ok {
			t.Errorf("Parse(%q) error = %#v, want a *ParseError", c.query, err)
			continue
		}
		if pe.Pos.Column != c.column || !strings.Contains(pe.Msg, c.msg) || !strings.Contains(pe.Hint, c.hint) {
			t.Errorf("Parse(%q):\n got column %d: %q; %q\nwant column %d: %q; %q", c.query, pe.Pos.Column, pe.Msg, pe.Hint, c.column, c.msg, c.hint)
		}
		if e := pe.Error(); strings.Contains(e, "\n") {
			t.Errorf("Parse(%q).Error() is not one line: %q", c.query, e)
		}
	}
}

func TestParseErrorCaret(t *testing.T) {
	cases := []struct{ query, want string }{
		{"action:login.failed AND (ip:1.2.3.4", "" +
			"action:login.failed AND (ip:1.2.3.4\n" +
			"                        ^ unclosed \"(\" opened here\n" +
			"                          close it with \")\""},
		{"usr:bob", "" +
			"usr:bob\n" +
			"^ unknown field \"usr\"\n" +
			"  did you mean user?"},
		// wide characters take two cells
		{"管理者 AND", "" +
			"管理者 AND\n" +
			"       ^ AND needs a term on its right, not end of query"},
		// a combining mark takes none; the caret is under the colon's value
		{"e\u0301 seq:x", "" +
			"e\u0301 seq:x\n" +
			"      ^ seq takes a whole number, not \"x\"\n" +
			"        e.g. seq:42, seq:>100 or seq:[10 TO 20]"},
		// the line of the error, with control characters neutralised
		{"a OR\n\"\x1b[2J\" usr:x", "" +
			"\"\ufffd[2J\" usr:x\n" +
			"       ^ unknown field \"usr\"\n" +
			"         did you mean user?"},
	}
	for _, c := range cases {
		_, err := Parse(c.query)
		pe, ok := err.(*ParseError)
		if !ok {
			t.Errorf("Parse(%q) error = %v, want a *ParseError", c.query, err)
			continue
		}
		if got := pe.Caret(); got != c.want {
			t.Errorf("Parse(%q).Caret():\n%s\nwant:\n%s", c.query, got, c.want)
		}
	}
}

func TestParseErrorLine(t *testing.T) {
	_, err := Parse("usr:bob")
	if got, want := err.Error(), `column 1: unknown field "usr"; did you mean user?`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = Parse("a OR\n(b")
	if got, want := err.Error(), `line 2, column 1: unclosed "(" opened here; close it with ")"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	// Values from the query are quoted, so a hostile one cannot reach the
	// terminal through the message.
	_, err = Parse("seq:\x1b[2J")
	if got := err.Error(); strings.ContainsRune(got, 0x1b) {
		t.Errorf("Error() = %q holds an escape character", got)
	}
}
