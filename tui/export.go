package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/export"
	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/store"
)

// exportExt is the file name extension of each format.
var exportExt = map[string]string{
	export.JSON: ".json", export.JSONL: ".jsonl", export.CSV: ".csv", export.CEF: ".cef",
	export.LEEF: ".leef", export.LEEF2: ".leef", export.Chain: ".chain.jsonl",
}

// exportDialog writes the current results to a file: a format, a path, a
// progress bar, the outcome.
type exportDialog struct {
	c       *common
	snap    *snapshot
	total   int // the results' count, -1 unknown
	formats []string
	format  int
	path    textinput.Model
	onPath  bool
	bar     progress.Model
	job     *job
	err     string
	keys    struct{ Start, Switch, Left, Right, Close key.Binding }
	stamp   string
	jobID   int
}

func newExportDialog(c *common, snap *snapshot, total int, jobID int) *exportDialog {
	d := &exportDialog{c: c, snap: snap, total: total, formats: export.Formats(), format: 1, stamp: c.now().UTC().Format("20060102-150405"), jobID: jobID}
	d.keys.Start = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "export"))
	d.keys.Switch = key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "format/path"))
	d.keys.Left = key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "format"))
	d.keys.Right = key.NewBinding(key.WithKeys("right", "l"))
	d.keys.Close = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close"))
	d.path = newTextInput(c, 1024)
	d.setPath()
	d.bar = newBar(c)
	return d
}

// setPath proposes a file name for the format.
func (d *exportDialog) setPath() {
	d.path.SetValue("vigil-export-" + d.stamp + exportExt[d.formats[d.format]])
	d.path.CursorEnd()
}

func (d *exportDialog) Title() string { return "Export results" }

func (d *exportDialog) Help() []key.Binding {
	switch {
	case d.c.opts.ReadOnly:
		return []key.Binding{d.keys.Close}
	case d.job == nil:
		return []key.Binding{d.keys.Start, d.keys.Switch, d.keys.Left, d.keys.Close}
	}
	if _, _, err := d.job.result(); d.running() && err == nil {
		c := d.keys.Close
		c.SetHelp("esc", "cancel")
		return []key.Binding{c}
	}
	return []key.Binding{d.keys.Close}
}

// stop cancels the export, if one runs.
func (d *exportDialog) stop() { d.job.stop() }

func (d *exportDialog) running() bool { return d.job.running() }

func (d *exportDialog) Update(msg tea.Msg) (dialogResult, tea.Cmd) {
	switch msg := msg.(type) {
	case jobTickMsg:
		if d.job != nil && msg.id == d.job.id && d.running() {
			return dialogResult{}, d.job.tick(d.c.tune.noTicks)
		}
		return dialogResult{}, nil
	case jobDoneMsg:
		return dialogResult{}, nil
	case tea.KeyMsg:
		if d.c.opts.ReadOnly || d.job != nil {
			if key.Matches(msg, d.keys.Close) || msg.String() == "enter" && !d.running() {
				if d.running() {
					d.job.cancel()
					return dialogResult{}, nil
				}
				return dialogResult{close: true}, nil
			}
			return dialogResult{}, nil
		}
		switch {
		case key.Matches(msg, d.keys.Close):
			return dialogResult{close: true}, nil
		case key.Matches(msg, d.keys.Switch):
			d.onPath = !d.onPath
			if d.onPath {
				return dialogResult{}, d.path.Focus()
			}
			d.path.Blur()
			return dialogResult{}, nil
		case key.Matches(msg, d.keys.Start):
			return dialogResult{}, d.start()
		case !d.onPath && key.Matches(msg, d.keys.Left):
			d.format = (d.format + len(d.formats) - 1) % len(d.formats)
			d.setPath()
			d.err = ""
			return dialogResult{}, nil
		case !d.onPath && key.Matches(msg, d.keys.Right):
			d.format = (d.format + 1) % len(d.formats)
			d.setPath()
			d.err = ""
			return dialogResult{}, nil
		}
		if d.onPath {
			var cmd tea.Cmd
			d.path, cmd = d.path.Update(msg)
			d.err = ""
			return dialogResult{}, cmd
		}
	}
	return dialogResult{}, nil
}

// start checks the choice and starts the export.
func (d *exportDialog) start() tea.Cmd {
	format := d.formats[d.format]
	path := strings.TrimSpace(d.path.Value())
	if path == "" {
		d.err = "give a path"
		return nil
	}
	if format == export.Chain {
		if _, all := d.snap.q.Filter.(*query.MatchAll); !all || !d.snap.req.Since.IsZero() || !d.snap.req.Until.IsZero() {
			d.err = "chain exports the whole chain, oldest first, so that it verifies: use the query * over all time"
			return nil
		}
	}
	eng, snap := d.c.eng, d.snap
	total := d.total
	d.job = startJob(d.c, d.jobID, func(ctx context.Context, j *job) (string, bool, error) {
		if total >= 0 {
			j.total.Store(uint64(total))
		}
		return runExport(ctx, eng, snap, format, path, j)
	})
	return tea.Batch(d.job.wait(), d.job.tick(d.c.tune.noTicks))
}

// newBar is a progress bar in the accent colour.
func newBar(c *common) progress.Model {
	accent := colAccent.light.TrueColor
	if c.renderer.HasDarkBackground() {
		accent = colAccent.dark.TrueColor
	}
	bar := progress.New(progress.WithSolidFill(accent), progress.WithoutPercentage(), progress.WithColorProfile(c.renderer.ColorProfile()))
	bar.Full, bar.Empty = '█', '░'
	return bar
}

// runExport writes the snapshot's matches to a new file. An existing file
// is never overwritten; a cancelled or failed export removes its partial
// file.
func runExport(ctx context.Context, eng *engine.Engine, snap *snapshot, format, path string, j *job) (string, bool, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false, fmt.Errorf("export to %s: %w", path, err)
	}
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", false, fmt.Errorf("%s exists: choose another path (nothing was overwritten)", abs)
	}
	if err != nil {
		return "", false, fmt.Errorf("export: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	xw, err := export.NewWriter(format, bw, export.Options{Catalogue: eng.Catalogue()})
	if err == nil {
		write := func(r store.Record, ev *event.Event) error {
			if err := xw.Write(r, ev); err != nil {
				return err
			}
			j.done.Add(1)
			return nil
		}
		if format == export.Chain {
			j.total.Store(eng.Store().Count())
			err = eng.Store().Scan(ctx, 0, 0, false, func(r store.Record) error { return write(r, nil) })
		} else {
			err = eng.Each(ctx, snap.pinned, write)
		}
		if cerr := xw.Close(); err == nil {
			err = cerr
		}
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(abs)
		if errors.Is(err, context.Canceled) {
			return "", false, fmt.Errorf("export cancelled after %s events; the partial file was removed", formatCount(int(j.done.Load())))
		}
		return "", false, fmt.Errorf("export to %s: %w (the partial file was removed)", abs, err)
	}
	return fmt.Sprintf("wrote %s events to %s (%s)", formatCount(int(j.done.Load())), abs, format), true, nil
}

func (d *exportDialog) View(width int) string {
	st := d.c.styles
	if d.c.opts.ReadOnly {
		return st.Muted.Render("Export to a file is off in this session (read-only, e.g. over SSH).\nOn the host: vigil query 'QUERY' --format jsonl --output FILE")
	}
	var b strings.Builder
	if d.job == nil {
		b.WriteString(st.Muted.Render("format "))
		for i, f := range d.formats {
			if i > 0 {
				b.WriteString(" ")
			}
			switch {
			case i == d.format && !d.onPath:
				b.WriteString(st.Selected.Render("[" + f + "]"))
			case i == d.format:
				b.WriteString(st.Bold.Render("[" + f + "]"))
			default:
				b.WriteString(" " + f + " ")
			}
		}
		b.WriteString("\n")
		mark := "path   "
		if d.onPath {
			mark = "path ▶ "
		}
		d.path.Width = width - 8
		b.WriteString(st.Muted.Render(mark))
		if d.onPath {
			b.WriteString(d.path.View())
		} else {
			b.WriteString(fit(event.Safe(d.path.Value()), width-7))
		}
		b.WriteString("\n" + st.Muted.Render("       relative to the working directory; never overwrites a file"))
		n := "counting…"
		if d.total >= 0 {
			n = formatCount(d.total)
		}
		b.WriteString("\n" + st.Muted.Render("events ") + n + st.Muted.Render(" (the results as the query ran)"))
		if d.err != "" {
			b.WriteString("\n" + st.Error.Render(d.err))
		}
		return b.String()
	}
	outcome, _, err := d.job.result()
	frac := d.job.fraction()
	done := int(d.job.done.Load())
	switch {
	case d.running():
		b.WriteString(wrapText("Exporting "+d.formats[d.format]+" to "+event.Safe(d.path.Value()), width) + "\n")
	case err != nil:
		b.WriteString(st.Error.Render(wrapText(event.Safe(err.Error()), width)) + "\n")
	default:
		b.WriteString(st.OK.Render("✓ ") + wrapText(event.Safe(outcome), width-2) + "\n")
	}
	d.bar.Width = width - 16
	if frac < 0 {
		frac = 0
	}
	if !d.running() && err == nil {
		frac = 1
	}
	b.WriteString(d.bar.ViewAs(frac) + " " + formatCount(done))
	if t := d.job.total.Load(); t > 0 {
		b.WriteString("/" + formatCount(int(t)))
	}
	return b.String()
}
