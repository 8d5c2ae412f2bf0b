package export

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// verifyChain is an auditor's verifier written from chain-format.md alone,
// with nothing of vigil's code: it reads a chain export line by line,
// recomputes each hash as SHA-256(prev || uint64_big_endian(seq) || record),
// checks that prev is the previous line's hash (the anchor on the first
// line) and that seq counts up by one. It returns the number of events and
// the head hash, or the first seq at which the chain breaks.
func verifyChain(r io.Reader, anchor [32]byte) (int, string, error) {
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 64<<20)
	var (
		n        int
		lastSeq  uint64
		lastHash = anchor
	)
	for sc.Scan() {
		line := sc.Bytes()
		// Nothing else on the line: exactly these four keys.
		var l struct {
			Seq    *uint64 `json:"seq"`
			Prev   *string `json:"prev"`
			Hash   *string `json:"hash"`
			Record *string `json:"record"`
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return n, "", fmt.Errorf("line %d: %v", n+1, err)
		}
		if dec.More() {
			return n, "", fmt.Errorf("line %d: more than one value", n+1)
		}
		if l.Seq == nil || l.Prev == nil || l.Hash == nil || l.Record == nil {
			return n, "", fmt.Errorf("line %d: a key is missing", n+1)
		}
		seq := *l.Seq
		if !hexRE.MatchString(*l.Prev) || !hexRE.MatchString(*l.Hash) {
			return n, "", fmt.Errorf("seq %d: prev or hash is not 64 lowercase hex", seq)
		}
		var prev, hash [32]byte
		hex.Decode(prev[:], []byte(*l.Prev))
		hex.Decode(hash[:], []byte(*l.Hash))
		if n > 0 && seq != lastSeq+1 {
			switch {
			case seq > lastSeq+1:
				return n, "", fmt.Errorf("seq %d: event missing (after %d)", seq, lastSeq)
			default:
				return n, "", fmt.Errorf("seq %d: order changed or event inserted (after %d)", seq, lastSeq)
			}
		}
		if prev != lastHash {
			return n, "", fmt.Errorf("seq %d: prev is not the previous hash", seq)
		}
		h := sha256.New()
		h.Write(prev[:])
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], seq)
		h.Write(b[:])
		h.Write([]byte(*l.Record))
		if !bytes.Equal(h.Sum(nil), hash[:]) {
			return n, "", fmt.Errorf("seq %d: record changed", seq)
		}
		n++
		lastSeq, lastHash = seq, hash
	}
	if err := sc.Err(); err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(lastHash[:]), nil
}

// chainFixture holds records that stress the record string: pretty-printed
// input (newlines in the record), hostile strings, characters that JSON
// encoders escape differently, text and non-UTF-8 input of imported formats.
func chainFixture(t *testing.T) fixture {
	raws := append([]string{}, sampleEvents(t)...)
	for i, h := range hostile {
		raws = append(raws, hostileEvent(t, i, h))
	}
	raws = append(raws, "{\n\t\"timestamp\" : \"2025-01-15T14:30:00Z\" ,\r\n  \"event_type\":\"a<b>&c\\u2028\\/\\u00e9\",\n  \"details\":{\"x\":\"\u2028\u2029\u0085\"}\n}")
	var evs []*event.Event
	for _, raw := range raws {
		ev, err := event.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	// Events of an imported format keep input that is not JSON.
	at := received.Add(-time.Hour)
	text := &event.Event{Time: at, Type: "syslog.line", Format: "syslog",
		Raw: []byte("<13>Jan 15 14:30:00 host sshd: \x1b[31mfailed\x1b[0m \"root\"\n")}
	bin := &event.Event{Time: at, Type: "binary", Format: "syslog", Raw: []byte("\xff\xfe not UTF-8 \x00")}
	evs = append(evs, text, bin)
	return buildEvents(t, evs...)
}

func TestChainVerifies(t *testing.T) {
	f := chainFixture(t)
	out := f.export(t, Chain, Options{})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(f.recs) {
		t.Fatalf("%d lines for %d records", len(lines), len(f.recs))
	}
	for i, line := range lines {
		// The record string encodes exactly the stored bytes.
		var l struct{ Record string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.Record != string(f.recs[i].Data) {
			t.Errorf("seq %d: record does not round-trip:\n%q\n%q", i+1, l.Record, f.recs[i].Data)
		}
		if hasControl(line, 0) || strings.ContainsAny(line, "\u2028\u2029\u0085") {
			t.Errorf("seq %d: raw control or line-breaking character in %q", i+1, line)
		}
		want := fmt.Sprintf(`{"seq":%d,"prev":"%x","hash":"%x","record":"`, i+1, f.recs[i].Prev, f.recs[i].Hash)
		if !strings.HasPrefix(line, want) || !strings.HasSuffix(line, `"}`) {
			t.Errorf("seq %d: line %.120s", i+1, line)
		}
	}
	n, head, err := verifyChain(strings.NewReader(out), [32]byte{})
	if err != nil {
		t.Fatalf("export does not verify: %v", err)
	}
	if n != len(f.recs) || head != hex.EncodeToString(f.recs[len(f.recs)-1].Hash[:]) {
		t.Errorf("verified %d events, head %s", n, head)
	}
}

func TestChainTamperDetected(t *testing.T) {
	f := chainFixture(t)
	out := f.export(t, Chain, Options{})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	join := func(ls []string) string { return strings.Join(ls, "\n") + "\n" }

	// One byte of one record changed.
	tampered := append([]string{}, lines...)
	i := strings.Index(tampered[1], "login.failed")
	if i < 0 {
		t.Fatal("no login.failed in line 2")
	}
	tampered[1] = tampered[1][:i] + "login.faileD" + tampered[1][i+len("login.failed"):]
	if _, _, err := verifyChain(strings.NewReader(join(tampered)), [32]byte{}); err == nil || !strings.Contains(err.Error(), "seq 2: record changed") {
		t.Errorf("tampered record: %v", err)
	}

	// A line removed.
	removed := append(append([]string{}, lines[:3]...), lines[4:]...)
	if _, _, err := verifyChain(strings.NewReader(join(removed)), [32]byte{}); err == nil || !strings.Contains(err.Error(), "seq 5: event missing") {
		t.Errorf("removed line: %v", err)
	}

	// Two lines swapped.
	swapped := append([]string{}, lines...)
	swapped[2], swapped[3] = swapped[3], swapped[2]
	if _, _, err := verifyChain(strings.NewReader(join(swapped)), [32]byte{}); err == nil {
		t.Error("swapped lines verify")
	}
}

func TestChainRefuses(t *testing.T) {
	f := build(t, sampleEvents(t)...)
	var out bytes.Buffer
	w, _ := NewWriter(Chain, &out, Options{})
	if err := w.Write(f.recs[1], nil); err != nil {
		t.Fatal(err)
	}
	// Newest first is refused, and the export goes on.
	if err := w.Write(f.recs[0], nil); err == nil || !strings.Contains(err.Error(), "oldest first") {
		t.Errorf("out of order: %v", err)
	}
	// A record that is not UTF-8 is refused.
	bad := store.Record{Seq: 3, Data: []byte(`{"seq":3,"x":"` + "\xff" + `"}`)}
	if err := w.Write(bad, nil); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("not UTF-8: %v", err)
	}
	if err := w.Write(f.recs[2], nil); err != nil {
		t.Errorf("write after a refused record: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("%d lines written, want 2:\n%s", n, out.String())
	}
}

func TestAppendJSONString(t *testing.T) {
	cases := []string{
		"", "plain", `"quoted" \ back\slash`, "\x00\x01\x1f\x7f", "\n\r\t\b\f",
		"\u0080\u0085\u009f\u00a0", "\u2027\u2028\u2029\u202a\u202e", "<script>&amp;", "é 日本 👩‍💻 \U0010FFFF",
		"\uFFFD\uFEFF", "/\\/",
	}
	for _, s := range cases {
		b := appendJSONString(nil, []byte(s))
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: %s: %v", s, b, err)
			continue
		}
		if got != s {
			t.Errorf("%q: round trip %q", s, got)
		}
		if hasControl(string(b), 0) || bytes.ContainsAny(b, "\u2028\u2029\u0085") {
			t.Errorf("%q: raw control character in %q", s, b)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		b := appendJSONString(nil, []byte(s))
		var got string
		if err := json.Unmarshal(b, &got); err != nil || got != s {
			t.Fatalf("%q: %s: %v (%q)", s, b, err, got)
		}
		if bytes.ContainsAny(b, "\n\r\u2028\u2029\u0085") {
			t.Fatalf("%q: line break in %q", s, b)
		}
	})
}
