// Package query owns vigil's search language (docs/query-language.md): the
// scanner, the recursive-descent parser, the AST and its canonical text,
// time expressions, errors with positions and hints, and the evaluation of
// a filter on one event in memory, which the live tail, the alert rules and
// the tests of the index all use. It does no I/O and never reads the
// clock: the evaluation time is handed to Compile.
//
// It does not search an index: the index package walks the same AST, and
// must agree with Matcher on every query. To make that possible the rules
// below are exported as functions (Tokens, FieldValues, TextValues,
// FacetValues, Term.TimeSpan, Range.TimeSpan, Timechart.Bucket) rather than
// only described.
//
// # Use
//
//	q, err := query.Parse(`action:login.failed AND time:>now-24h | top 10 ip`)
//	if err != nil {
//		fmt.Println(err.(*query.ParseError).Caret()) // or err.Error(), one line
//		return
//	}
//	m, _ := query.Compile(q.Filter, now) // a parsed filter always compiles
//	if m.Match(ev) { ... }
//
// # Syntax
//
// AND, OR and NOT are case-insensitive; "-" right before a term is NOT;
// terms side by side are ANDed; NOT binds tighter than AND, AND than OR;
// parentheses group. A word is a run of characters other than white space
// and ( ) [ ] " |. A word whose text before its first ':' starts with a
// letter, '_' or '@' is field:value (field:>v, >=, <, <= compare;
// field:[lo TO hi] is an inclusive range, * an open end); any other word
// is free text, as is a quoted string. Quoting a value turns off its
// wildcards, and quoting AND, OR or NOT searches for the word. In a quoted
// string \" is a quote and \\ a backslash; other backslashes are
// themselves. A bare "*" matches every event; the empty query is an error.
// After the filter, "| top N field", "| count by field" or
// "| timechart INTERVAL" may follow (INTERVAL as 30s, 5m, 1h, 1d, 1w or
// 1h30m).
//
// # Fields and how they match
//
// Field names and aliases are those of event-format.md, in any case (see
// Fields and CanonicalField). An unknown field is an error naming the
// nearest ones. A field with no value (an empty string, an absent key) has
// nothing to match, and field:* matches when it has a value.
//
//   - Keyword fields (action, category, user, actor.*, role, target,
//     session, component, source, outcome, id) match the whole value,
//     ignoring case (strings.ToLower on both sides); * and ? are wildcards
//     over the whole value (? is one character). user and target match the
//     party's email, id or name. category, outcome and severity must name
//     one of their values, else the query is an error.
//   - Text fields (message, location, ua, device) match by word, like free
//     text: message:failed is a word of the message, message:"login failed"
//     a phrase, message:fail* a word pattern.
//   - severity is a keyword that also compares and ranges by rank:
//     info < low < medium < high < critical.
//   - ip takes an address (matched as an address: 2001:DB8::1 is
//     2001:db8::1), a CIDR block (10.0.0.0/8, 2001:db8::/32; the event's
//     address must lie in it), or a wildcard pattern over the text
//     (10.0.*); a quoted value is matched as text, exactly. Anything else
//     is an error, as is a comparison.
//   - seq is a whole number; comparisons and ranges are numeric. An event
//     not yet stored (seq 0) has no seq.
//   - details.KEY reaches into the details object, dotted for depth; keys
//     match ignoring case, a key may itself hold dots, and arrays are
//     walked through. Its values are the strings, numbers and booleans at
//     that path. details.KEY:v matches a value whose text equals v ignoring
//     case (numbers as received, booleans as true/false), or, when v is a
//     JSON number, a JSON number equal to it; wildcards match the text.
//     Comparisons and ranges take JSON numbers and match JSON numbers only
//     (not strings holding digits), compared as float64 as the index does.
//   - time: see below.
//
// A comparison on any other field, a range on a field with no order, a
// wildcard on time or seq, and a value that the field cannot hold (a bad
// time, CIDR block, number or severity) are errors, never empty results.
//
// # Free text and words
//
// A bare word or a quoted phrase searches the text of the event: the
// action, the message, every field of the actor, the target and the
// context including their free keys, and every value of details at any
// depth (see TextValues). Not searched: keys, and category, severity,
// outcome, source, component, id, seq and time, which have fields.
//
// Text is cut into words by Tokens, which the index must use too: words
// are runs of letters, digits and marks, with '.', '@', '-' and '_' kept
// inside a word but trimmed from its ends, so login.failed, bob@x.com and
// 10.0.0.1 are single words; each Han, Hiragana or Katakana character and
// each emoji or other symbol is a word by itself; words are lower-cased.
// Consequently "bob" does not find bob@x.com (write bob* for that).
//
// The search text is cut by the same rule, and its words must appear
// consecutively within one value (a phrase never spans two values): a
// word that cuts into several ("/v1/events", "管理者") is a phrase, and a
// quoted phrase of one word is a word. In a bare word, * and ? are
// wildcards within a word (fail* finds failed; ? is one character), cut
// with them counted as letters. Text with no word in it ("+++") is an
// error.
//
// # Time
//
// A time value is a UTC day (2025-01-15), an RFC 3339 instant (any
// fraction and offset), now, now-15m, now-24h, now-7d, now-2w, now-1h30m
// or now+1d (units s, m, h, d = 24h, w = 7d, counted exactly, not by the
// calendar), today or yesterday (UTC days at the evaluation time). A day
// stands for [its start, the next day's start); an instant, now included,
// for itself. With [S, E) the instants of the value:
//
//	time:v      S <= t < E      (a whole day, or exactly the instant)
//	time:>v     t >= S for a day: "after the day starts", the day included
//	            t > v  for an instant
//	time:>=v    t >= S
//	time:<v     t < S           (before the day starts)
//	time:<=v    t < E           (to the end of the day)
//	time:[a TO b]  a's S <= t < b's E   (both ends included, b's whole day)
//
// So time:<=2025-01-15 includes 2025-01-15T23:59:59.999999999Z and
// time:<2025-01-16 is the same set. A range that is empty whatever the
// evaluation time is an error.
//
// # Aggregations
//
// top and count by count each event once under each of its values (see
// FacetValues: user and target count under the party's label), values
// exactly as received, largest count first, equal counts by value (see
// Tally). timechart buckets are UTC, aligned to the zero time: days at
// midnight, weeks on Monday (see Timechart.Bucket).
package query
