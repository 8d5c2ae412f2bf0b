package syslog

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed",
		`<165>1 2003-10-11T22:14:15.003Z h evntslog - ID47 [a@1 iut="3" x="\"\]"][b@2 c="d"] msg`,
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
		"<13>Mar  2 2023 10:11:12.345 fw1 kernel[1]: drop",
		"<30>2025-01-15T14:30:00.123456+01:00 web1 nginx[9]: GET /",
		"plain", "<>", "<1", "<191>", "<13>1 ", `<13>1 - - - - - [`, "<13>Feb 29 00:00:00 h a: b",
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := Parse(b, Options{Location: time.UTC, Now: now})
		if m.Priority < -1 || m.Priority > 191 {
			t.Fatalf("priority %d", m.Priority)
		}
		// Every part of the message comes from its bytes.
		if !bytes.Contains(b, m.Msg) && len(m.Msg) > 0 {
			t.Fatalf("msg %q is not in the input", m.Msg)
		}
		for _, s := range []string{m.Hostname, m.AppName, m.ProcID, m.MsgID} {
			if !bytes.Contains(b, []byte(s)) {
				t.Fatalf("field %q is not in the input", s)
			}
		}
		if m.Format == RFC5424 {
			for _, s := range []string{m.Hostname, m.AppName, m.ProcID, m.MsgID} {
				if !utf8.ValidString(s) || bytes.ContainsAny([]byte(s), " \x00") {
					t.Fatalf("header field %q", s)
				}
			}
		}
		// Mapping never fails either, and the event stores.
		ev := Event(b, Received{Time: now, Location: time.UTC})
		if ev.Type == "" || ev.Time.IsZero() || !bytes.Equal(ev.Raw, b) {
			t.Fatalf("event %+v", ev)
		}
	})
}

// FuzzOctetCounting frames random messages and checks that the scanner
// gives them back exactly, however the stream is cut into reads.
func FuzzOctetCounting(f *testing.F) {
	f.Add([]byte("<13>1 - - - - - - a"), []byte("Grüße 世界"), uint8(3))
	f.Add([]byte("x"), []byte("\n\n"), uint8(1))
	f.Fuzz(func(t *testing.T, a, b []byte, chunk uint8) {
		msgs := [][]byte{a, b, a}
		var in bytes.Buffer
		for _, m := range msgs {
			fmt.Fprintf(&in, "%d ", len(m))
			in.Write(m)
		}
		s := NewScanner(&chunkReader{data: in.Bytes(), n: int(chunk)%7 + 1}, 1<<20)
		for i, want := range msgs {
			if len(want) == 0 {
				// A zero length is not valid octet counting; stop here.
				return
			}
			got, err := s.Next()
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if !bytes.Equal(got.Data, want) || got.Truncated {
				t.Fatalf("message %d: %q, want %q", i, got.Data, want)
			}
		}
		if _, err := s.Next(); err != io.EOF {
			t.Fatalf("after the last message: %v", err)
		}
	})
}

// FuzzScanner checks that any stream is cut without panics, with frames no
// larger than the limit.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("12 <13>1 - - -\n<13>x\n"))
	f.Add([]byte("<13>a\r\n\n<13>b"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewScanner(bytes.NewReader(in), 16)
		for i := 0; i < len(in)+2; i++ {
			fr, err := s.Next()
			if len(fr.Data) > 16 || fr.Size < len(fr.Data) {
				t.Fatalf("frame %+v", fr)
			}
			if err != nil {
				return
			}
		}
		t.Fatal("the scanner does not end")
	})
}

type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.n, len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}
