package syslog

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// frames reads every frame of input with a scanner of the given limit.
func frames(t *testing.T, r io.Reader, max int) ([]Frame, Framing, error) {
	t.Helper()
	s := NewScanner(r, max)
	var out []Frame
	for {
		f, err := s.Next()
		if err == io.EOF {
			return out, s.Framing(), nil
		}
		if f.Data != nil || f.Size > 0 {
			f.Data = append([]byte(nil), f.Data...)
			out = append(out, f)
		}
		if err != nil {
			return out, s.Framing(), err
		}
	}
}

func datas(fs []Frame) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f.Data)
	}
	return out
}

func octets(msgs ...string) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "%d %s", len(m), m) // len counts bytes
	}
	return b.String()
}

func TestOctetCountingCountsBytes(t *testing.T) {
	msgs := []string{
		"<14>1 2025-01-15T14:30:00Z h app - - - Grüße, 世界 🎉",
		"<14>1 2025-01-15T14:30:01Z h app - - - line one\nline two inside one message",
		"<14>1 - - - - - - ",
		"<14>1 2025-01-15T14:30:02Z h app - - - ß",
	}
	in := octets(msgs...)
	// Read one byte at a time, so that every boundary falls inside a read.
	got, framing, err := frames(t, iotest.OneByteReader(strings.NewReader(in)), 1024)
	if err != nil {
		t.Fatal(err)
	}
	if framing != OctetCounting {
		t.Fatalf("framing %v", framing)
	}
	if fmt.Sprint(datas(got)) != fmt.Sprint(msgs) {
		t.Fatalf("got %q\nwant %q", datas(got), msgs)
	}
	// The count of the first is in bytes, not characters.
	if got[0].Size != len(msgs[0]) || len(msgs[0]) == len([]rune(msgs[0])) {
		t.Fatalf("size %d for %d bytes", got[0].Size, len(msgs[0]))
	}
}

func TestOctetCountingTolerates(t *testing.T) {
	// A line feed after each message, as some senders write.
	in := "5 <1>ab\n6 <1>abc\r\n"
	got, _, err := frames(t, strings.NewReader(in), 100)
	if err != nil || fmt.Sprint(datas(got)) != "[<1>ab <1>abc]" {
		t.Fatalf("%q %v", datas(got), err)
	}
}

func TestOctetCountingTooLarge(t *testing.T) {
	big := "<13>1 - - - - - - " + strings.Repeat("x", 100)
	in := octets("<13>1 - - - - - - a", big, "<13>1 - - - - - - b")
	got, _, err := frames(t, strings.NewReader(in), 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[1].Truncated || got[1].Size != len(big) || string(got[1].Data) != big[:20] {
		t.Fatalf("%+v", got)
	}
	if string(got[2].Data) != "<13>1 - - - - - - b" || got[2].Truncated {
		t.Fatalf("the stream lost step after a large message: %q", got[2].Data)
	}
}

func TestOctetCountingOutOfStep(t *testing.T) {
	for _, in := range []string{
		"5 <1>ab<13>oops", // a message follows without a length
		"0 x",             // zero is no length
		"1234567890 x",    // ten digits
		"12",              // ends inside a length
		"5 <1>ab5x",       // a length without its space
	} {
		got, _, err := frames(t, strings.NewReader(in), 100)
		if !errors.Is(err, ErrFraming) {
			t.Errorf("%q: err %v, frames %q", in, err, datas(got))
		}
	}
}

func TestOctetCountingEndsInsideAMessage(t *testing.T) {
	got, _, err := frames(t, strings.NewReader("10 <1>ab"), 100)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(got) != 1 || string(got[0].Data) != "<1>ab" {
		t.Fatalf("%q %v", datas(got), err)
	}
}

func TestLineFraming(t *testing.T) {
	in := "<13>Jan 15 10:00:00 h a: one\r\n\n<13>Jan 15 10:00:01 h a: twö 世界\n<13>Jan 15 10:00:02 h a: three"
	got, framing, err := frames(t, iotest.HalfReader(strings.NewReader(in)), 1024)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"<13>Jan 15 10:00:00 h a: one", "<13>Jan 15 10:00:01 h a: twö 世界", "<13>Jan 15 10:00:02 h a: three"}
	if framing != NonTransparent || fmt.Sprint(datas(got)) != fmt.Sprint(want) {
		t.Fatalf("%v %q", framing, datas(got))
	}
}

func TestLineFramingTooLarge(t *testing.T) {
	long := "<13>" + strings.Repeat("y", 200000) // longer than the reader's buffer
	in := "<13>a\n" + long + "\n<13>b\n"
	got, _, err := frames(t, strings.NewReader(in), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[1].Truncated || got[1].Size != len(long) || string(got[1].Data) != long[:10] || string(got[2].Data) != "<13>b" {
		t.Fatalf("%d frames: %+v", len(got), got)
	}
	// Exactly at the limit is not truncated.
	got, _, _ = frames(t, strings.NewReader("<13>abcdef\n"), 10)
	if len(got) != 1 || got[0].Truncated || string(got[0].Data) != "<13>abcdef" {
		t.Fatalf("%+v", got)
	}
}

func TestFramingIsDecidedOnce(t *testing.T) {
	// A line-framed stream whose second message starts with a digit (no
	// PRI) stays line-framed.
	got, framing, err := frames(t, strings.NewReader("<13>a\n42 is the answer\n"), 100)
	if err != nil || framing != NonTransparent || fmt.Sprint(datas(got)) != "[<13>a 42 is the answer]" {
		t.Fatalf("%v %q %v", framing, datas(got), err)
	}
}
