package tui

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// goldenSizes are the terminal sizes of the golden screens.
var goldenSizes = [][2]int{{80, 24}, {120, 40}, {200, 50}}

// TestGoldenScreens draws the main screens at each size, without colour,
// and compares them with testdata/*.golden (go test ./tui -update writes
// them). Every screen is exactly the terminal's size.
func TestGoldenScreens(t *testing.T) {
	eng := demoEngine(t)
	screens := []struct {
		name string
		do   func(d *driver)
	}{
		{"list", func(d *driver) { d.keys("j", "j") }},
		{"detail", func(d *driver) {
			d.runQuery("details.hostile:true AND action:settings.changed")
			d.keys("enter")
		}},
		{"help", func(d *driver) { d.keys("?") }},
		{"query-error", func(d *driver) { d.runQuery("action:login.failed AND (ip:1.2.3.4") }},
		{"export", func(d *driver) {
			d.runQuery("action:login.failed")
			d.keys("e")
		}},
		{"sidebar-filter", func(d *driver) { d.keys("tab", "j", "j", "enter") }},
		{"aggregate", func(d *driver) { d.runQuery("* | top 10 action") }},
	}
	for _, sc := range screens {
		for _, sz := range goldenSizes {
			name := fmt.Sprintf("%s-%dx%d", sc.name, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				d := newDriver(t, eng, sz[0], sz[1], testOpts{})
				sc.do(d)
				got := d.view()
				screenLines(t, got, sz[0], sz[1])
				if strings.ContainsRune(got, '\x1b') {
					t.Error("a screen without colour holds escapes")
				}
				checkGolden(t, name, got)
			})
		}
	}
}

// TestSeverityColours draws with colour and checks that each severity is
// drawn in its colour (true colour on a dark background, the 16 ANSI
// colours on a light one), and that the selected row is marked.
func TestSeverityColours(t *testing.T) {
	eng := demoEngine(t)
	cases := []struct {
		profile termenv.Profile
		dark    bool
		want    map[string]string
	}{
		{termenv.TrueColor, true, map[string]string{"critical": "38;2;255;95;135", "high": "38;2;255;135;0", "medium": "38;2;255;215;95", "info": "38;2;168;168;168"}},
		{termenv.ANSI, false, map[string]string{"critical": "31", "high": "31", "medium": "33", "info": "90"}},
	}
	for _, c := range cases {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(c.profile)
		r.SetHasDarkBackground(c.dark)
		d := newDriver(t, eng, 200, 50, testOpts{renderer: r})
		seen := 0
		for sev, sgr := range c.want {
			d.runQuery("severity:" + sev)
			if d.m.table.res.total == 0 {
				continue // the demo may have none
			}
			seen++
			view := d.view()
			if !strings.Contains(view, "\x1b["+sgr+";1m"+sev) && !strings.Contains(view, "\x1b["+sgr+"m"+sev) &&
				!strings.Contains(view, ";"+sgr+"m"+sev) && !strings.Contains(view, ";"+sgr+";1m"+sev) {
				t.Errorf("%v: %s is not drawn in \\x1b[%sm:\n%q", c.profile, sev, sgr, firstLineWith(view, sev))
			}
		}
		if seen < 3 {
			t.Errorf("only %d severities in the demo", seen)
		}
	}
}

func firstLineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// alertMap marks seqs as alerted, as the alerts package will.
type alertMap map[uint64]string

func (a alertMap) AlertSeverity(seq uint64) (string, bool) {
	s, ok := a[seq]
	return s, ok
}

// TestAlertMarkers: rows whose event raised an alert carry a "!" in the
// gutter, in the alert's severity colour; others do not.
func TestAlertMarkers(t *testing.T) {
	eng := demoEngine(t)
	want := oracle(t, eng, "*")
	alerts := alertMap{want[1]: "critical", want[3]: "low"}
	d := newDriver(t, eng, 120, 40, testOpts{alerts: alerts})
	lines := strings.Split(d.view(), "\n")
	// Rows start on the fourth line; the gutter is after the sidebar.
	sep := strings.Index(lines[3], "│") + len("│")
	for i := 0; i < 5; i++ {
		gutter := []rune(lines[3+i][sep:])[:2]
		_, alerted := alerts[want[i]]
		if (gutter[1] == '!') != alerted {
			t.Errorf("row %d (seq %d): gutter %q, alerted %v", i, want[i], string(gutter), alerted)
		}
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	d = newDriver(t, eng, 120, 40, testOpts{alerts: alerts, renderer: r})
	if !strings.Contains(d.view(), "\x1b[38;2;255;95;135;1m!") && !strings.Contains(d.view(), "\x1b[1;38;2;255;95;135m!") {
		t.Errorf("the critical alert's marker is not in the critical colour:\n%q", firstLineWith(d.view(), "!"))
	}
}
