package ingest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

type unitWant struct {
	line int
	raw  string
	err  string // a substring of the unit's Err, "" for none
}

func collect(t *testing.T, fn func(emit func(Unit) error) error) []unitWant {
	t.Helper()
	var got []unitWant
	err := fn(func(u Unit) error {
		w := unitWant{line: u.Line, raw: string(u.Raw)}
		if u.Err != nil {
			w.err = u.Err.Error()
		}
		got = append(got, w)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSplitJSONShapes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wrapper string
		max     int
		want    []unitWant
	}{
		{
			name: "JSON Lines with blank lines",
			in:   "\n{\"a\":1}\n\n{\"b\":2}\r\n",
			want: []unitWant{{2, `{"a":1}`, ""}, {4, `{"b":2}`, ""}},
		},
		{
			name: "array",
			in:   "[\n  {\"a\":1},\n  {\"b\":2}\n]\n",
			want: []unitWant{{2, `{"a":1}`, ""}, {3, `{"b":2}`, ""}},
		},
		{
			name:    "a log file on one line is cut into its records",
			in:      `{"Records":[{"a":1},{"b":2}]}` + "\n" + `{"c":3}`,
			wrapper: "Records",
			want:    []unitWant{{1, `{"a":1}`, ""}, {1, `{"b":2}`, ""}, {2, `{"c":3}`, ""}},
		},
		{
			name:    "a pretty-printed log file: each record on its own line",
			in:      "{\n  \"Records\": [\n    {\n      \"a\": 1\n    },\n    {\"b\": 2}\n  ]\n}\n",
			wrapper: "Records",
			want:    []unitWant{{3, "{\n      \"a\": 1\n    }", ""}, {6, `{"b": 2}`, ""}},
		},
		{
			name: "pretty-printed documents one after the other",
			in:   "{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n",
			want: []unitWant{{1, "{\n  \"a\": 1\n}", ""}, {4, "{\n  \"b\": 2\n}", ""}},
		},
		{
			name: "a broken document rejects the rest whole",
			in:   "{\n  \"a\": 1\n}\n{\n  \"b\": \n",
			want: []unitWant{{1, "{\n  \"a\": 1\n}", ""}, {4, "{\n  \"b\":", "the rest of the input"}},
		},
		{
			name: "a broken first line of JSON Lines is one reject, not the whole file",
			in:   "{\"a\": \n{\"b\":2}\n",
			want: []unitWant{{1, `{"a": `, ""}, {2, `{"b":2}`, ""}},
		},
		{
			name:    "the size limit applies to records, not to the file holding them",
			in:      `{"Records":[{"a":"` + strings.Repeat("x", 40) + `"},{"b":2}]}`,
			wrapper: "Records",
			max:     30,
			want:    []unitWant{{1, `{"a":"` + strings.Repeat("x", 40) + `"}`, "larger than the limit of 30"}, {1, `{"b":2}`, ""}},
		},
		{
			name:    "a record that only mentions the wrapper key is a record",
			in:      `{"eventName":"x","requestParameters":{"Records":[1]}}`,
			wrapper: "Records",
			want:    []unitWant{{1, `{"eventName":"x","requestParameters":{"Records":[1]}}`, ""}},
		},
		{
			name:    "a broken log file is rejected verbatim",
			in:      `{"Records":[{"a":1},`,
			wrapper: "Records",
			want:    []unitWant{{1, `{"Records":[{"a":1},`, "not JSON"}},
		},
		{
			name: "a byte order mark is skipped",
			in:   "\ufeff[{\"a\":1}]",
			want: []unitWant{{1, `{"a":1}`, ""}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = 1 << 20
			}
			got := collect(t, func(emit func(Unit) error) error {
				return SplitJSON(strings.NewReader(tc.in), max, tc.wrapper, emit)
			})
			if len(got) != len(tc.want) {
				t.Fatalf("got %d units %+v, want %+v", len(got), got, tc.want)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.line != w.line || g.raw != w.raw || (w.err == "") != (g.err == "") || !strings.Contains(g.err, w.err) {
					t.Errorf("unit %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestNativeSplitUnchanged checks that the native format still reads a
// pretty-printed object line by line, as it always has: each line is
// rejected on its own rather than the document being read.
func TestNativeSplitUnchanged(t *testing.T) {
	got := collect(t, func(emit func(Unit) error) error {
		return Native{}.Split(strings.NewReader("{\n  \"a\": 1\n}\n"), 1<<20, emit)
	})
	if len(got) != 3 || got[0].raw != "{" || got[2].line != 3 {
		t.Fatalf("got %+v", got)
	}
}

func TestSniffJSON(t *testing.T) {
	s := SniffJSON([]byte(`  [{"Records":[{"eventVersion":"1.08"`))
	if !s.Array || s.Keys["Records"] != '[' || s.Complete {
		t.Errorf("truncated array: %+v", s)
	}
	s = SniffJSON([]byte(`{"kind":"Event","auditID":"x","n":1,"o":{"p":"q"}}` + "\n{"))
	if !s.Complete || s.String("kind") != "Event" || !s.Has("auditID") || s.Keys["n"] != '0' || s.Keys["o"] != '{' || s.Has("p") {
		t.Errorf("object: %+v", s)
	}
	if s := SniffJSON([]byte("type=SYSCALL msg=audit(1.2:3):")); s.Keys != nil {
		t.Errorf("text: %+v", s)
	}
}

// fakeFormat recognises inputs that start with its prefix.
type fakeFormat struct{ name, prefix string }

func (f fakeFormat) Name() string            { return f.name }
func (f fakeFormat) Detect(head []byte) bool { return strings.HasPrefix(string(head), f.prefix) }
func (f fakeFormat) Split(r io.Reader, max int, emit func(Unit) error) error {
	return split(r, max, emit)
}
func (f fakeFormat) Map(u Unit) (*event.Event, error) {
	return nil, errors.New(f.name + " maps nothing")
}

func TestDetectAndLookup(t *testing.T) {
	formats := []Format{fakeFormat{"aa", "a"}, fakeFormat{"ab", "ab"}}
	tests := []struct{ head, want string }{
		{"abc", "aa"}, // the first that recognises it
		{"b", "native"},
		{"", "native"},
	}
	for _, tc := range tests {
		if got := Detect(formats, []byte(tc.head)).Name(); got != tc.want {
			t.Errorf("Detect(%q) = %s, want %s", tc.head, got, tc.want)
		}
	}
	if f, err := Lookup(formats, "native"); err != nil || f.Name() != "native" {
		t.Errorf("Lookup(native) = %v, %v", f, err)
	}
	if _, err := Lookup(formats, "zz"); err == nil || !strings.Contains(err.Error(), "auto, native, aa, ab") {
		t.Errorf("Lookup(zz) = %v", err)
	}
}

// TestSniffTakesOnlyWhatItNeeds checks that detecting the format of a
// live pipe waits for the first record, not for DetectSize bytes: tail -f
// | vigil ingest - must not stall.
func TestSniffTakesOnlyWhatItNeeds(t *testing.T) {
	formats := []Format{fakeFormat{"cloud", `{"Records"`}}
	tests := []struct{ first, want string }{
		{`{"timestamp":"2025-01-01T00:00:00Z","event_type":"x"}` + "\n", "native"},
		{`{"Records":[`, "cloud"},
		{"some text line\n", "native"},
	}
	for _, tc := range tests {
		pr, pw := io.Pipe()
		go pw.Write([]byte(tc.first)) // and nothing more: the pipe stays open
		done := make(chan string, 1)
		go func() {
			f, err := sniff(bufio.NewReaderSize(pr, DetectSize), formats)
			if err != nil {
				done <- err.Error()
				return
			}
			done <- f.Name()
		}()
		select {
		case got := <-done:
			if got != tc.want {
				t.Errorf("%q: %s, want %s", tc.first, got, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%q: sniff waits for more input", tc.first)
		}
		pw.Close()
	}
}

func TestRunFormats(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	formats := []Format{fakeFormat{"fake", "FAKE"}}
	if _, err := Run(context.Background(), st, nil, Options{Formats: formats, Format: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown format "nope"`) {
		t.Fatalf("unknown format: %v", err)
	}
	native := `{"event_id":"n1","timestamp":"2025-01-01T00:00:00Z","event_type":"login.success"}`
	got := map[string]string{}
	var rejects []Reject
	stats, err := Run(context.Background(), st, []Source{
		{Name: "a", R: strings.NewReader(native + "\n")},
		{Name: "b", R: strings.NewReader("FAKE\n")},
	}, Options{
		Formats:  formats,
		OnFormat: func(src, f string) { got[src] = f },
		OnReject: func(r Reject) { rejects = append(rejects, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] != "native" || got["b"] != "fake" {
		t.Errorf("formats %v", got)
	}
	if stats.Stored.Load() != 1 || len(rejects) != 1 || rejects[0].String() != "b:1: fake maps nothing" {
		t.Errorf("stored %d, rejects %v", stats.Stored.Load(), rejects)
	}
	// A named format applies to every source, whatever it looks like.
	rejects = nil
	stats, err = Run(context.Background(), st, []Source{{Name: "c", R: strings.NewReader(native + "\n")}},
		Options{Formats: formats, Format: "fake", OnReject: func(r Reject) { rejects = append(rejects, r) }})
	if err != nil || stats.Stored.Load() != 0 || len(rejects) != 1 {
		t.Errorf("--format fake: %v, stored %d, rejects %v", err, stats.Stored.Load(), rejects)
	}
}

func TestParseObject(t *testing.T) {
	tests := []struct{ in, err string }{
		{`{"a":1,"b":{"c":[true,null,"x"]}}`, ""},
		{`{"a":1,"a":2}`, `key /a appears twice`},
		{`[1]`, "not a JSON object (got an array)"},
		{`{"a":`, "not JSON"},
		{`{"a":1} x`, "not JSON"},
		{` `, "empty record"},
	}
	for _, tc := range tests {
		m, err := ParseObject([]byte(tc.in))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.err)
		}
		if tc.err == "" && Str(m, "a") != "1" {
			t.Errorf("%s: a = %v (%T)", tc.in, m["a"], m["a"])
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2023-07-10T11:47:39Z", "2023-07-10T11:47:39Z"},
		{"2018-10-26T14:26:34.238974Z", "2018-10-26T14:26:34.238974Z"},
		{"2023-07-12T12:38:43", "2023-07-12T12:38:43Z"}, // no zone: UTC
		{"2023-07-12T12:38:43.5", "2023-07-12T12:38:43.5Z"},
		{"2023-07-12T14:38:43+02:00", "2023-07-12T12:38:43Z"},
		{"2023-07-12 12:38:43", "2023-07-12T12:38:43Z"},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in)
		if err != nil || got.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2023-13-01T00:00:00"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}
