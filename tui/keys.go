package tui

import "github.com/charmbracelet/bubbles/key"

// globalKeys work wherever no text is being typed and no dialog is open.
type globalKeys struct {
	Quit, Help, Query, FocusNext, FocusPrev key.Binding
	TimeRange, Refresh                      key.Binding
	Export, Verify, Copy                    key.Binding
	PivotIn, PivotOut                       key.Binding
	Save, Saved                             key.Binding
	Follow, Pause                           key.Binding
	Mouse                                   key.Binding
	// Alerts opens (and closes) the alerts pane; BackToAlerts, on while
	// the results are an alert's events, goes back to it.
	Alerts, BackToAlerts key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Query:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "edit query")),
		FocusNext: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		FocusPrev: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		TimeRange: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "time range")),
		Refresh:   key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "run again (newest)")),
		Export:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export results")),
		Verify:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "verify chain")),
		Copy:      key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy event JSON (OSC 52)")),
		PivotIn:   key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "filter on a field of the event")),
		PivotOut:  key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "exclude a field of the event")),
		Save:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save search")),
		Saved:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "saved searches")),
		Follow:    key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow live")),
		Pause:     key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "pause/resume live")),
		Mouse:     key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mouse on/off")),
		Alerts:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "alerts")),
		// Off until an alert is opened.
		BackToAlerts: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to the alerts"), key.WithDisabled()),
	}
}

// ShortHelp is the status line's reminder.
func (k globalKeys) ShortHelp() []key.Binding { return []key.Binding{k.Query, k.Help, k.Quit} }

// FullHelp groups the global keys for the help overlay.
func (k globalKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Query, k.TimeRange, k.Refresh, k.PivotIn, k.PivotOut, k.Save, k.Saved},
		{k.Alerts, k.BackToAlerts, k.Export, k.Verify, k.Copy, k.Follow, k.Pause},
		{k.FocusNext, k.FocusPrev, k.Mouse, k.Help, k.Quit},
	}
}
