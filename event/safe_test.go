package event

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// safeCases are hostile and harmless strings with their exact renderings.
// They are also the seed corpus of FuzzSafe.
var safeCases = []struct {
	name  string
	in    string
	want  string // Safe
	multi string // SafeMultiline
}{
	{"empty", "", "", ""},
	{"printable ASCII", "user admin@company.com logged in (id=42) ~!", "user admin@company.com logged in (id=42) ~!", "user admin@company.com logged in (id=42) ~!"},
	{"CSI clear screen", "\x1b[2J", "␛[2J", "␛[2J"},
	{"CSI colour", "\x1b[31mred", "␛[31mred", "␛[31mred"},
	{"CSI cursor home and erase", "ok\x1b[H\x1b[Kfake", "ok␛[H␛[Kfake", "ok␛[H␛[Kfake"},
	{"OSC title with BEL", "\x1b]0;pwned\x07", "␛]0;pwned␇", "␛]0;pwned␇"},
	{"OSC title with ST", "\x1b]2;x\x1b\\", "␛]2;x␛\\", "␛]2;x␛\\"},
	{"OSC 8 hyperlink", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "␛]8;;http://evil␛\\click␛]8;;␛\\", "␛]8;;http://evil␛\\click␛]8;;␛\\"},
	{"8-bit CSI as UTF-8", "\u009b31m", "⟨U+009B⟩31m", "⟨U+009B⟩31m"},
	{"8-bit CSI as raw byte", "\x9b31m", "⟨0x9B⟩31m", "⟨0x9B⟩31m"},
	{"C1 NEL and OSC", "a\u0085b\u009dc", "a⟨U+0085⟩b⟨U+009D⟩c", "a⟨U+0085⟩b⟨U+009D⟩c"},
	{"bell", "ding\a", "ding␇", "ding␇"},
	{"backspace overwrite", "admin\b\b\b\b\broot", "admin␈␈␈␈␈root", "admin␈␈␈␈␈root"},
	{"NUL", "a\x00b", "a␀b", "a␀b"},
	{"DEL", "a\x7fb", "a␡b", "a␡b"},
	{"unit separator", "\x1f", "␟", "␟"},
	{"RTL override", "\u202Egnp.exe", "⟨U+202E⟩gnp.exe", "⟨U+202E⟩gnp.exe"},
	{"embeddings and pop", "\u202a\u202b\u202c\u202d", "⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩", "⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩"},
	{"isolates", "a\u2066b\u2067c\u2068d\u2069", "a⟨U+2066⟩b⟨U+2067⟩c⟨U+2068⟩d⟨U+2069⟩", "a⟨U+2066⟩b⟨U+2067⟩c⟨U+2068⟩d⟨U+2069⟩"},
	{"LRM RLM ALM", "x\u200ey\u200fz\u061c", "x⟨U+200E⟩y⟨U+200F⟩z⟨U+061C⟩", "x⟨U+200E⟩y⟨U+200F⟩z⟨U+061C⟩"},
	{"line and paragraph separators", "a\u2028b\u2029c", "a⟨U+2028⟩b⟨U+2029⟩c", "a⟨U+2028⟩b⟨U+2029⟩c"},
	{"newline", "line1\nline2", "line1␊line2", "line1\nline2"},
	{"fake log line", "ok\n2025-01-15 admin login.success", "ok␊2025-01-15 admin login.success", "ok\n2025-01-15 admin login.success"},
	{"CRLF", "a\r\nb", "a␍␊b", "a\nb"},
	{"CR CRLF", "a\r\r\nb", "a␍␍␊b", "a␍\nb"},
	{"lone CR", "pass\rFAIL", "pass␍FAIL", "pass␍FAIL"},
	{"trailing CR", "x\r", "x␍", "x␍"},
	{"tab", "k\tv", "k␉v", "k    v"},
	{"escape then newline", "\x1b[2J\n", "␛[2J␊", "␛[2J\n"},
	{"invalid UTF-8", "\xff\xfe", "⟨0xFF⟩⟨0xFE⟩", "⟨0xFF⟩⟨0xFE⟩"},
	{"truncated multibyte", "ab\xe6\x97", "ab⟨0xE6⟩⟨0x97⟩", "ab⟨0xE6⟩⟨0x97⟩"},
	{"truncated then valid", "\xe6\x97日", "⟨0xE6⟩⟨0x97⟩日", "⟨0xE6⟩⟨0x97⟩日"},
	{"encoded surrogate", "\xed\xa0\x80", "⟨0xED⟩⟨0xA0⟩⟨0x80⟩", "⟨0xED⟩⟨0xA0⟩⟨0x80⟩"},
	{"overlong slash", "\xc0\xaf", "⟨0xC0⟩⟨0xAF⟩", "⟨0xC0⟩⟨0xAF⟩"},
	{"CJK", "日本語", "日本語", "日本語"},
	{"emoji with ZWJ", "👩‍💻 🔥", "👩‍💻 🔥", "👩‍💻 🔥"},
	{"flag and skin tone", "🇫🇷 👍🏽", "🇫🇷 👍🏽", "🇫🇷 👍🏽"},
	{"accented", "café", "café", "café"},
	{"combining accent", "cafe\u0301", "cafe\u0301", "cafe\u0301"},
	{"Arabic and Hebrew letters", "مرحبا שלום", "مرحبا שלום", "مرحبا שלום"},
	{"replacement character as sent", "\ufffd", "\ufffd", "\ufffd"},
	{"stand-in look-alike as sent", "⟨U+202E⟩ ␛", "⟨U+202E⟩ ␛", "⟨U+202E⟩ ␛"},
	{"mixed", "\x1b[31m日本\u202e\xff\n", "␛[31m日本⟨U+202E⟩⟨0xFF⟩␊", "␛[31m日本⟨U+202E⟩⟨0xFF⟩\n"},
}

// safeViolation returns why out is not a safe rendering, or "" when it is.
// A multiline rendering may hold "\n" and nothing else below 0x20.
func safeViolation(out string, multi bool) string {
	if !utf8.ValidString(out) {
		return "not valid UTF-8"
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if (c < 0x20 && !(multi && c == '\n')) || c == 0x7f {
			return fmt.Sprintf("control byte 0x%02X at %d", c, i)
		}
	}
	for i, r := range out {
		switch {
		case r >= 0x80 && r <= 0x9f:
			return fmt.Sprintf("C1 control %U at %d", r, i)
		case r == 0x061c, r == 0x200e, r == 0x200f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("bidi control %U at %d", r, i)
		case r == 0x2028, r == 0x2029:
			return fmt.Sprintf("separator %U at %d", r, i)
		}
	}
	return ""
}

func TestSafe(t *testing.T) {
	for _, tc := range safeCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Safe(tc.in)
			if got != tc.want {
				t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if v := safeViolation(got, false); v != "" {
				t.Errorf("Safe(%q) = %q: %s", tc.in, got, v)
			}
			if again := Safe(got); again != got {
				t.Errorf("Safe(Safe(%q)) = %q, want %q unchanged", tc.in, again, got)
			}
		})
	}
}

func TestSafeMultiline(t *testing.T) {
	for _, tc := range safeCases {
		t.Run(tc.name, func(t *testing.T) {
			got := SafeMultiline(tc.in)
			if got != tc.multi {
				t.Errorf("SafeMultiline(%q) = %q, want %q", tc.in, got, tc.multi)
			}
			if v := safeViolation(got, true); v != "" {
				t.Errorf("SafeMultiline(%q) = %q: %s", tc.in, got, v)
			}
			if again := SafeMultiline(got); again != got {
				t.Errorf("SafeMultiline(SafeMultiline(%q)) = %q, want %q unchanged", tc.in, again, got)
			}
		})
	}
}

// TestSafeEveryControl checks each control and listed rune one by one, so no
// value of a range is forgotten.
func TestSafeEveryControl(t *testing.T) {
	for c := 0; c < 0x20; c++ {
		in := string(rune(c))
		want := string(rune(0x2400 + c))
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Safe("\x1b"); got != "␛" {
		t.Errorf(`Safe("\x1b") = %q, want "␛"`, got)
	}
	var hostile []rune
	for r := rune(0x80); r <= 0x9f; r++ {
		hostile = append(hostile, r)
	}
	hostile = append(hostile, 0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029)
	for _, r := range hostile {
		in := string(r)
		want := fmt.Sprintf("⟨U+%04X⟩", r)
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
		if got := SafeMultiline(in); got != want {
			t.Errorf("SafeMultiline(%q) = %q, want %q", in, got, want)
		}
	}
	for b := 0x80; b <= 0xff; b++ {
		in := string([]byte{byte(b)})
		want := fmt.Sprintf("⟨0x%02X⟩", b)
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSafeKeepsNeighbours checks that the runes next to the escaped ranges
// are printable and kept.
func TestSafeKeepsNeighbours(t *testing.T) {
	for _, r := range []rune{' ', '~', 0xa0, 0xff, 0x061b, 0x061d, 0x200b, 0x200c, 0x200d,
		0x2027, 0x202f, 0x2065, 0x206a, 0xfeff, 0x1f525} {
		in := "a" + string(r) + "b"
		if got := Safe(in); got != in {
			t.Errorf("Safe(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestSafeFastPathDoesNotAllocate(t *testing.T) {
	for _, s := range []string{
		"login.failed admin@company.com 192.168.1.100",
		"日本語 👩‍💻 café",
		"two\nlines",
	} {
		multi := strings.Contains(s, "\n")
		f := Safe
		if multi {
			f = SafeMultiline
		}
		if got := f(s); unsafe.StringData(got) != unsafe.StringData(s) {
			t.Errorf("%q: clean input was copied", s)
		}
		if n := testing.AllocsPerRun(100, func() { _ = f(s) }); n != 0 {
			t.Errorf("%q: %v allocations, want 0", s, n)
		}
	}
}

func FuzzSafe(f *testing.F) {
	for _, tc := range safeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Safe(in)
		if v := safeViolation(out, false); v != "" {
			t.Fatalf("Safe(%q) = %q: %s", in, out, v)
		}
		if again := Safe(out); again != out {
			t.Fatalf("Safe(Safe(%q)) = %q, want %q", in, again, out)
		}
		if v := safeViolation(Safe(out), false); v != "" {
			t.Fatalf("Safe(Safe(%q)): %s", in, v)
		}
		multi := SafeMultiline(in)
		if v := safeViolation(multi, true); v != "" {
			t.Fatalf("SafeMultiline(%q) = %q: %s", in, multi, v)
		}
		if again := SafeMultiline(multi); again != multi {
			t.Fatalf("SafeMultiline(SafeMultiline(%q)) = %q, want %q", in, again, multi)
		}
		if strings.Count(multi, "\n") != strings.Count(in, "\n") {
			t.Fatalf("SafeMultiline(%q) = %q: line count changed", in, multi)
		}
		printable := true
		for i := 0; i < len(in); i++ {
			if in[i] < 0x20 || in[i] > 0x7e {
				printable = false
				break
			}
		}
		if printable && (out != in || multi != in) {
			t.Fatalf("printable ASCII %q changed: Safe %q, SafeMultiline %q", in, out, multi)
		}
	})
}

func BenchmarkSafe(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"clean-ascii", "2025-01-15T14:30:00Z member.role_changed admin@company.com -> john@company.com from viewer to editor"},
		{"clean-unicode", "2025-01-15T14:30:00Z 日本語のユーザー 👩‍💻 café changed settings"},
		{"hostile", "\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\u009b31m\xff\xfe\r\nline2\tcol\x7f"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = Safe(bc.in)
			}
		})
	}
}
