package index

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/store"
)

// TestFreeTextFieldsHoldTextValues checks what free text relies on to
// search tokenFields, valueFields and the message instead of repeating
// their words in _text: each of their values is a value free text
// searches, and the facet field of a value field holds exactly its values.
func TestFreeTextFieldsHoldTextValues(t *testing.T) {
	evs := benchEvents(t, 3000)
	evs = append(evs, edgeEvents(t)...)
	fields := append(append(slices.Clone(tokenFields), valueFields...), "message")
	for _, ev := range evs {
		text := query.TextValues(ev)
		for _, f := range fields {
			for _, v := range query.FieldValues(ev, f) {
				if !slices.Contains(text, v) {
					t.Fatalf("event %s: %s value %q is not among the values free text searches", ev.ID, f, v)
				}
			}
		}
		for _, f := range valueFields {
			if got, want := query.FacetValues(ev, f), query.FieldValues(ev, f); !slices.Equal(got, want) {
				t.Fatalf("event %s: %s has facet values %q and values %q", ev.ID, f, got, want)
			}
		}
	}
}

// edgeEvents are events made for the index's own devices: adjacent values
// whose words could make a phrase across them, one-word values in upper
// case, a name a pattern matches as a whole but by no word, values with no
// word, numbers as strings and as numbers, IPv4-mapped addresses.
func edgeEvents(t testing.TB) []*event.Event {
	t.Helper()
	lines := []string{
		`{"event_id":"x1","timestamp":"2025-01-10T10:00:00Z","event_type":"login.failed","actor":{"name":"Alpha Beta"},"target":{"name":"Gamma Delta"},"context":{"ip":"::ffff:10.9.8.7","location":"—","user_agent":"Mozilla/5.0 (X11; Linux x86_64)"},"details":{"rows":"250000","Mixed":"CaSe","a.b":1}}`,
		`{"event_id":"x2","timestamp":"2025-01-10T10:00:01Z","event_type":"USER.Created","actor":{"id":"USR_ABC","name":"Mei Sato","email":"Mei.Sato@Example.COM"},"context":{"ip":"2001:db8::1","device":"Pixel 8 Pro","location":"New York, US"},"message":"beta gamma","details":{"rows":250000.0,"a":{"b":"x"},"k=v":2}}`,
		`{"event_id":"x3","timestamp":"2025-01-10T10:00:02Z","event_type":"user.created","actor":{"id":"usr_abd","role":"Admin"},"context":{"ip":"10.9.8.8","user_agent":"curl/8.4.0","session_id":"Sess_1"},"details":{"rows":99,"list":[1,"two",true],"empty":""}}`,
	}
	cat := event.BuiltinCatalogue()
	var out []*event.Event
	for i, l := range lines {
		ev, err := event.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		cat.Normalize(ev)
		ev.Seq = uint64(900000 + i)
		out = append(out, ev)
	}
	return out
}

// TestIndexDevicesAgreeWithMatch indexes the edge events among generated
// ones and checks the queries that go through the index's own devices
// (value queries, one-word values, empty positions between values) find
// what the matcher finds.
func TestIndexDevicesAgreeWithMatch(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	evs := benchEvents(t, 2000)
	for _, ev := range evs {
		ev.Seq = 0
	}
	evs = append(evs, edgeEvents(t)...)
	for _, ev := range evs {
		ev.Seq = 0
	}
	if _, err := st.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	x, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.CatchUp(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	var stored []*event.Event
	if err := st.Scan(ctx, 0, 0, false, func(r store.Record) error {
		ev, err := r.Event()
		stored = append(stored, ev)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 2, 2, 0, 0, 0, 0, time.UTC)
	nonEmpty := 0
	for _, text := range []string{
		// Phrases never span two values; within one they do.
		`"beta gamma"`, `"alpha beta"`, `"gamma delta"`, `alpha`,
		// One-word values, in any case, as words and patterns.
		`usr_abc`, `USR_ABC`, `usr_ab*`, `usr_ab?`, `mei.sato@example.com`, `*@example.com`, `sess_1`, `user.created`, `login.*`,
		// A pattern matching a value of several words as a whole, but no word of it.
		`m*o`, `mei*`, `*sato`,
		// Values searched through their distinct values: words, phrases, patterns, all.
		`location:*`, `NOT location:*`, `location:"new york"`, `new`, `"new york"`, `york*`,
		`ua:mozilla`, `ua:"x11 linux"`, `ua:curl*`, `"linux x86_64"`, `x86_64`, `device:pixel`, `device:"8 pro"`, `"pixel 8"`, `NOT device:*`,
		// Addresses and blocks.
		`ip:10.9.8.7`, `ip:10.9.8.0/24`, `ip:10.0.0.0/8`, `ip:2001:db8::/32`, `ip:::ffff:10.9.8.0/120`, `2001`, `db8`, `10.9.8.7`,
		// details: text and numbers, strings that hold digits, dotted and odd keys.
		`details.rows:250000`, `details.rows:"250000"`, `details.rows:>100`, `details.rows:[* TO *]`, `details.rows:[100 TO 300000]`,
		`details.mixed:case`, `details.mixed:CA*`, `details.a.b:*`, `details.a.b:1`, `details.a.b:x`, `details.list:two`, `details.empty:*`, `details.k=v:2`,
		`case`, `two`, `250000`,
		// user is the actor's email, id and name.
		`user:usr_abc`, `user:"mei sato"`, `user:mei*`, `user:*`, `NOT user:*`, `actor:MEI.SATO@example.com`,
	} {
		t.Run(text, func(t *testing.T) {
			q, err := query.Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			m, err := query.Compile(q.Filter, now)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, ev := range stored {
				if m.Match(ev) {
					want = append(want, DocID(ev.Time, ev.Seq))
				}
			}
			sort.Sort(sort.Reverse(sort.StringSlice(want)))
			iq, exact, err := Compile(q.Filter, now)
			if err != nil {
				t.Fatal(err)
			}
			if !exact {
				t.Fatalf("not exact")
			}
			hits, err := x.Page(ctx, iq, len(stored)+1, "")
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(hits))
			for i, h := range hits {
				got[i] = h.ID
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("index found %d events, the matcher %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
			if len(want) > 0 {
				nonEmpty++
			}
		})
	}
	if nonEmpty < 40 {
		t.Errorf("only %d queries find anything", nonEmpty)
	}
}

// TestDocIDIsFixedWidthDecimal checks DocID and SeqTerm against the
// format they are defined by, at the edges of their ranges.
func TestDocIDIsFixedWidthDecimal(t *testing.T) {
	for _, tc := range []struct {
		t   time.Time
		seq uint64
	}{
		{time.Unix(0, 0), 1},
		{time.Date(2025, 1, 20, 23, 59, 59, 999999999, time.UTC), 20003},
		{time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC), 1<<64 - 1},
		{time.Unix(0, 1<<63-1), 0},
		{time.Unix(0, -1<<63), 42},
	} {
		want := fmt.Sprintf("%020d%020d", uint64(tc.t.UnixNano())^(1<<63), tc.seq)
		if got := DocID(tc.t, tc.seq); got != want {
			t.Errorf("DocID(%s, %d) = %s, want %s", tc.t, tc.seq, got, want)
		}
		if got, want := SeqTerm(tc.seq), fmt.Sprintf("%020d", tc.seq); got != want {
			t.Errorf("SeqTerm(%d) = %s, want %s", tc.seq, got, want)
		}
		if seq, err := SeqOfDocID(DocID(tc.t, tc.seq)); err != nil || seq != tc.seq {
			t.Errorf("SeqOfDocID gives %d %v, want %d", seq, err, tc.seq)
		}
	}
}
