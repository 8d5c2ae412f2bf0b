package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// palette is one colour in the three depths a terminal may have.
type palette struct{ dark, light lipgloss.CompleteColor }

func (p palette) pick(dark bool) lipgloss.TerminalColor {
	if dark {
		return p.dark
	}
	return p.light
}

func col(trueColor, c256, c16 string) lipgloss.CompleteColor {
	return lipgloss.CompleteColor{TrueColor: trueColor, ANSI256: c256, ANSI: c16}
}

// The colours, for dark and light backgrounds. 16-colour terminals get the
// plain ANSI colours, which every theme maps to something readable.
var (
	colAccent   = palette{col("#A78BFA", "141", "5"), col("#5B3CC4", "56", "5")}
	colMuted    = palette{col("#8A8A8A", "245", "8"), col("#6C6C6C", "242", "8")}
	colSelBg    = palette{col("#33334D", "237", "4"), col("#D7D7F5", "189", "7")}
	colError    = palette{col("#FF6B6B", "203", "9"), col("#C00000", "124", "1")}
	colOK       = palette{col("#5FD787", "78", "2"), col("#00875F", "29", "2")}
	colCritical = palette{col("#FF5F87", "204", "9"), col("#D70000", "160", "1")}
	colHigh     = palette{col("#FF8700", "208", "1"), col("#AF5F00", "130", "1")}
	colMedium   = palette{col("#FFD75F", "221", "3"), col("#875F00", "94", "3")}
	colLow      = palette{col("#5FD7FF", "81", "6"), col("#005F87", "24", "6")}
	colInfo     = palette{col("#A8A8A8", "248", "7"), col("#585858", "240", "8")}
	colChip     = palette{col("#5FAFAF", "73", "6"), col("#005F5F", "23", "6")}

	// The tints of rows whose event an alert fired on, by the alert's
	// severity. 16-colour terminals get none (their backgrounds are too
	// loud to read text on): the gutter's letter carries the severity.
	colAlertCritical = palette{col("#4B1020", "52", ""), col("#FFD6DE", "224", "")}
	colAlertHigh     = palette{col("#4A2600", "94", ""), col("#FFE2C2", "223", "")}
	colAlertMedium   = palette{col("#3D3500", "58", ""), col("#FFF3C2", "230", "")}
	colAlertLow      = palette{col("#0E2A3F", "17", ""), col("#D6EEFF", "195", "")}
	colAlertInfo     = palette{col("#2A2A2A", "236", ""), col("#ECECEC", "255", "")}
	colBadgeText     = palette{col("#000000", "16", "0"), col("#FFFFFF", "231", "15")}
)

// theme is every style the explorer draws with, built once from the
// session's renderer (its colour profile and background) and handed to
// every component: no colour is chosen anywhere else.
type theme struct {
	// Mono is true when the terminal shows no colour (NO_COLOR, a dumb
	// terminal): markers then carry what colour would.
	Mono bool

	Header, HeaderTitle, HeaderDim lipgloss.Style
	Muted, Accent, Bold            lipgloss.Style
	Error, OK                      lipgloss.Style

	PaneTitle, PaneTitleFocused lipgloss.Style
	Separator                   lipgloss.Style

	ColumnHeader lipgloss.Style
	Selected     lipgloss.Style
	Severity     map[string]lipgloss.Style
	// AlertRow tints the row of an event an alert fired on, by the
	// alert's severity; AlertSign draws its letter in the gutter, as a
	// badge of the severity's colour.
	AlertRow, AlertSign map[string]lipgloss.Style
	// alertGutter is the gutter of an alerted row, drawn once: the tinted
	// space where the selection marker goes, and the letter's badge.
	alertGutter map[string][2]string

	SidebarCount lipgloss.Style

	Prompt, QueryText, Placeholder, Chip lipgloss.Style
	Caret                                lipgloss.Style

	Status, StatusKey lipgloss.Style

	Timeline, TimelineMark lipgloss.Style

	Dialog, DialogTitle lipgloss.Style

	DetailKey, DetailSection lipgloss.Style

	Help help.Styles
}

// newStyles builds the styles for a renderer.
func newStyles(r *lipgloss.Renderer) *theme {
	dark := r.HasDarkBackground()
	mono := r.ColorProfile() == termenv.Ascii
	c := func(p palette) lipgloss.TerminalColor { return p.pick(dark) }
	s := &theme{Mono: mono}
	st := r.NewStyle
	s.Header = st().Bold(true)
	s.HeaderTitle = st().Bold(true).Foreground(c(colAccent))
	s.HeaderDim = st().Foreground(c(colMuted))
	s.Muted = st().Foreground(c(colMuted))
	s.Accent = st().Foreground(c(colAccent))
	s.Bold = st().Bold(true)
	s.Error = st().Foreground(c(colError)).Bold(true)
	s.OK = st().Foreground(c(colOK)).Bold(true)
	s.PaneTitle = st().Foreground(c(colMuted)).Bold(true)
	s.PaneTitleFocused = st().Foreground(c(colAccent)).Bold(true).Underline(true)
	s.Separator = st().Foreground(c(colMuted))
	s.ColumnHeader = st().Foreground(c(colMuted)).Bold(true)
	s.Selected = st().Background(c(colSelBg)).Bold(true)
	s.Severity = map[string]lipgloss.Style{
		"critical": st().Foreground(c(colCritical)).Bold(true),
		"high":     st().Foreground(c(colHigh)).Bold(true),
		"medium":   st().Foreground(c(colMedium)),
		"low":      st().Foreground(c(colLow)),
		"info":     st().Foreground(c(colInfo)),
	}
	// The letter is a badge: dark on the severity's colour (light on a
	// light background, where the severity colours are dark).
	sevCols := map[string]palette{"critical": colCritical, "high": colHigh, "medium": colMedium, "low": colLow, "info": colInfo}
	tints := map[string]palette{"critical": colAlertCritical, "high": colAlertHigh, "medium": colAlertMedium, "low": colAlertLow, "info": colAlertInfo}
	s.AlertRow = map[string]lipgloss.Style{}
	s.AlertSign = map[string]lipgloss.Style{}
	s.alertGutter = map[string][2]string{}
	for sev, tint := range tints {
		s.AlertRow[sev] = st().Background(c(tint))
		s.AlertSign[sev] = st().Bold(true).Foreground(c(colBadgeText)).Background(c(sevCols[sev]))
		s.alertGutter[sev] = [2]string{s.AlertRow[sev].Render(" "), s.AlertSign[sev].Render(alertLetter(sev))}
	}
	s.SidebarCount = st().Foreground(c(colMuted))
	s.Prompt = st().Foreground(c(colAccent)).Bold(true)
	s.QueryText = st()
	s.Placeholder = st().Foreground(c(colMuted))
	s.Chip = st().Foreground(c(colChip)).Bold(true)
	s.Caret = st().Foreground(c(colError)).Bold(true)
	s.Status = st()
	s.StatusKey = st().Foreground(c(colAccent)).Bold(true)
	s.Timeline = st().Foreground(c(colAccent))
	s.TimelineMark = st().Foreground(c(colHigh)).Bold(true)
	s.Dialog = st().Border(lipgloss.RoundedBorder()).BorderForeground(c(colAccent)).Padding(0, 1)
	s.DialogTitle = st().Bold(true).Foreground(c(colAccent))
	s.DetailKey = st().Foreground(c(colMuted))
	s.DetailSection = st().Bold(true).Foreground(c(colAccent))
	s.Help = help.Styles{
		Ellipsis:       st().Foreground(c(colMuted)),
		ShortKey:       st().Foreground(c(colAccent)).Bold(true),
		ShortDesc:      st().Foreground(c(colMuted)),
		ShortSeparator: st().Foreground(c(colMuted)),
		FullKey:        st().Foreground(c(colAccent)).Bold(true),
		FullDesc:       st(),
		FullSeparator:  st().Foreground(c(colMuted)),
	}
	return s
}

// severity returns the style of a severity, plain for an unknown one.
func (s *theme) severity(sev string) lipgloss.Style {
	if st, ok := s.Severity[sev]; ok {
		return st
	}
	return s.Muted
}

// alertLetters are the gutter's marks of an alerted event, by the alert's
// severity: readable without colour (NO_COLOR), where the tint is not.
var alertLetters = map[string]string{"critical": "C", "high": "H", "medium": "M", "low": "L", "info": "I"}

// alertLetter is the gutter's mark of an alert's severity.
func alertLetter(sev string) string {
	if l, ok := alertLetters[sev]; ok {
		return l
	}
	return "!"
}

// alertRow returns the tint of rows whose alert has that severity.
func (s *theme) alertRow(sev string) lipgloss.Style {
	if st, ok := s.AlertRow[sev]; ok {
		return st
	}
	return s.AlertRow["info"]
}

// alertGutterOf returns the gutter of a row in an alert of that severity
// (not selected): the tinted space before the letter, and the letter.
func (s *theme) alertGutterOf(sev string) (space, letter string) {
	g, ok := s.alertGutter[sev]
	if !ok {
		g = s.alertGutter["info"]
	}
	return g[0], g[1]
}
