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
