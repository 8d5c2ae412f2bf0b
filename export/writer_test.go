package export

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	want := []string{"json", "jsonl", "csv", "cef", "leef", "leef2", "chain"}
	if got := Formats(); !slices.Equal(got, want) {
		t.Errorf("Formats() = %q", got)
	}
	Formats()[0] = "changed"
	if Formats()[0] != "json" {
		t.Error("Formats shares its slice")
	}
	for _, f := range want {
		if _, err := NewWriter(f, io.Discard, Options{}); err != nil {
			t.Errorf("NewWriter(%s): %v", f, err)
		}
	}
	if _, err := NewWriter("xml", io.Discard, Options{}); err == nil || !strings.Contains(err.Error(), "json, jsonl, csv, cef, leef, leef2, chain") {
		t.Errorf("unknown format: %v", err)
	}
}

// TestNilEvent: a nil event is decoded from the record, with the same output.
func TestNilEvent(t *testing.T) {
	f := build(t, sampleEvents(t)...)
	for _, format := range Formats() {
		want := f.export(t, format, Options{})
		var out bytes.Buffer
		w, _ := NewWriter(format, &out, Options{})
		for _, r := range f.recs {
			if err := w.Write(r, nil); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
		w.Close()
		if out.String() != want {
			t.Errorf("%s: output with nil events differs:\n%s\nwant\n%s", format, out.String(), want)
		}
	}
}

func TestClose(t *testing.T) {
	f := build(t, sampleEvents(t)[0])
	for _, format := range Formats() {
		var out bytes.Buffer
		w, _ := NewWriter(format, &out, Options{})
		if err := w.Write(f.recs[0], f.evs[0]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		n := out.Len()
		if err := w.Close(); err != nil {
			t.Errorf("%s: second Close: %v", format, err)
		}
		if err := w.Write(f.recs[0], f.evs[0]); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Write after Close: %v", format, err)
		}
		if out.Len() != n {
			t.Errorf("%s: output grew after Close", format)
		}
		if !strings.HasSuffix(out.String(), "\n") {
			t.Errorf("%s: output does not end in a newline", format)
		}
	}
}

type failingWriter struct{ after int }

var errDisk = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errDisk
	}
	w.after--
	return len(p), nil
}

func TestWriteErrorSticks(t *testing.T) {
	f := build(t, sampleEvents(t)[0])
	for _, format := range Formats() {
		w, _ := NewWriter(format, &failingWriter{}, Options{})
		var err error
		// The buffer hides the failure until it fills or is flushed.
		for i := 0; i < 2000 && err == nil; i++ {
			r := f.recs[0]
			r.Seq = uint64(i + 1)
			err = w.Write(r, f.evs[0])
		}
		if err == nil {
			err = w.Close()
		}
		if !errors.Is(err, errDisk) {
			t.Errorf("%s: %v", format, err)
		}
		if err := w.Close(); !errors.Is(err, errDisk) {
			t.Errorf("%s: Close after a failure: %v", format, err)
		}
		r := f.recs[0]
		r.Seq = 1 << 40
		if err := w.Write(r, f.evs[0]); !errors.Is(err, errDisk) && !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Write after a failure: %v", format, err)
		}
	}
}

// streamFixture is a few distinct events, written over and over with
// growing seqs to make long exports without building them.
func streamFixture(t testing.TB) fixture {
	raws := sampleEvents(t)
	for i, h := range hostile[:8] {
		raws = append(raws, hostileEvent(t, i, h))
	}
	return build(t, raws...)
}

// TestMemoryFlat writes 200,000 events in every format and checks that the
// writers stream: allocations per event do not grow with the number of
// events written, and the heap does not keep what was written.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,000 events a format")
	}
	const total = 200_000
	f := streamFixture(t)
	for _, format := range Formats() {
		w, err := NewWriter(format, io.Discard, Options{})
		if err != nil {
			t.Fatal(err)
		}
		write := func(from, to int) {
			for i := from; i < to; i++ {
				k := i % len(f.recs)
				r := f.recs[k]
				r.Seq = uint64(i + 1)
				if err := w.Write(r, f.evs[k]); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
			}
		}
		var m0, m1, m2, m3 runtime.MemStats
		write(0, 1000) // buffers reach their size
		runtime.GC()
		runtime.ReadMemStats(&m0)
		write(1000, 21000)
		runtime.ReadMemStats(&m1)
		write(21000, total)
		runtime.ReadMemStats(&m2)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m3)

		n1, n2 := float64(20_000), float64(total-21_000)
		allocs1, allocs2 := float64(m1.Mallocs-m0.Mallocs)/n1, float64(m2.Mallocs-m1.Mallocs)/n2
		bytes1, bytes2 := float64(m1.TotalAlloc-m0.TotalAlloc)/n1, float64(m2.TotalAlloc-m1.TotalAlloc)/n2
		t.Logf("%-5s %6.1f allocs/event, %7.0f B/event (first 20k: %.1f, %.0f B); heap after %d events: %+.1f MiB",
			format, allocs2, bytes2, allocs1, bytes1, total, (float64(m3.HeapAlloc)-float64(m0.HeapAlloc))/(1<<20))
		if allocs2 > allocs1*1.05+0.5 {
			t.Errorf("%s: allocations per event grew from %.2f to %.2f", format, allocs1, allocs2)
		}
		if bytes2 > bytes1*1.05+64 {
			t.Errorf("%s: bytes allocated per event grew from %.0f to %.0f", format, bytes1, bytes2)
		}
		if m3.HeapAlloc > m0.HeapAlloc+4<<20 {
			t.Errorf("%s: the heap grew by %d bytes over %d events", format, m3.HeapAlloc-m0.HeapAlloc, total)
		}
	}
}

// BenchmarkWrite measures one event's write in each format, to io.Discard.
func BenchmarkWrite(b *testing.B) {
	f := streamFixture(b)
	for _, format := range Formats() {
		b.Run(format, func(b *testing.B) {
			w, err := NewWriter(format, io.Discard, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				k := n % len(f.recs)
				r := f.recs[k]
				r.Seq = uint64(n + 1)
				if err := w.Write(r, f.evs[k]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
