package tui

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// verifyDialog recomputes the hash chain, over the results' time span or
// all of it, with a progress bar and the outcome: intact, or the first
// broken seq and how.
type verifyDialog struct {
	c     *common
	snap  *snapshot
	keys  dialogKeys
	list  listBox
	bar   progress.Model
	job   *job
	jobID int
}

func newVerifyDialog(c *common, snap *snapshot, jobID int) *verifyDialog {
	d := &verifyDialog{c: c, snap: snap, keys: newDialogKeys(), bar: newBar(c), jobID: jobID}
	d.list.items = []string{"the events of the results' time span", "the whole chain"}
	if snap == nil {
		d.list.items = d.list.items[1:]
	}
	return d
}

func (d *verifyDialog) Title() string { return "Verify the hash chain" }

func (d *verifyDialog) Help() []key.Binding {
	if d.job == nil {
		run := d.keys.Choose
		run.SetHelp("enter", "verify")
		return []key.Binding{d.keys.Up, d.keys.Down, run, d.keys.Close}
	}
	c := d.keys.Close
	if d.running() {
		c.SetHelp("esc", "cancel")
	}
	return []key.Binding{c}
}

// stop cancels the verification, if one runs.
func (d *verifyDialog) stop() { d.job.stop() }

func (d *verifyDialog) running() bool { return d.job.running() }

func (d *verifyDialog) Update(msg tea.Msg) (dialogResult, tea.Cmd) {
	switch msg := msg.(type) {
	case jobTickMsg:
		if d.job != nil && msg.id == d.job.id && d.running() {
			return dialogResult{}, d.job.tick(d.c.tune.noTicks)
		}
	case tea.KeyMsg:
		if d.job != nil {
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
		case key.Matches(msg, d.keys.Up):
			d.list.move(-1)
		case key.Matches(msg, d.keys.Down):
			d.list.move(1)
		case key.Matches(msg, d.keys.Choose):
			whole := d.list.cursor == len(d.list.items)-1
			eng, snap := d.c.eng, d.snap
			d.job = startJob(d.c, d.jobID, func(ctx context.Context, j *job) (string, bool, error) {
				return runVerify(ctx, eng, snap, whole, j)
			})
			return dialogResult{}, tea.Batch(d.job.wait(), d.job.tick(d.c.tune.noTicks))
		}
	}
	return dialogResult{}, nil
}

// runVerify verifies the chain from the oldest event of the results' time
// span (or from the start) to the head.
func runVerify(ctx context.Context, eng *engine.Engine, snap *snapshot, whole bool, j *job) (string, bool, error) {
	start := time.Now()
	opts := store.VerifyOptions{Progress: func(done, total uint64) {
		j.total.Store(total)
		j.done.Store(done)
	}}
	what := "the whole chain"
	if !whole && snap != nil {
		since := snap.req.Since
		if hours, err := snap.hourly(ctx, eng); err == nil {
			for _, h := range hours {
				if h.Count > 0 {
					if h.Time.After(since) {
						since = h.Time
					}
					break
				}
			}
		}
		opts.Since = since
		if !since.IsZero() {
			what = "events since " + since.UTC().Format("2006-01-02 15:04")
		}
	}
	rep, err := eng.Store().Verify(ctx, opts)
	if err != nil {
		return "", false, fmt.Errorf("verify: %w", err)
	}
	took := formatDuration(time.Since(start))
	if rep.Intact {
		if rep.Events == 0 {
			return fmt.Sprintf("intact: nothing to verify in %s", what), true, nil
		}
		return fmt.Sprintf("intact: %s events of %s, seq %d to %d, head hash %s… (%s)",
			formatCount(int(rep.Events)), what, rep.From, rep.To, hex.EncodeToString(rep.Head[:8]), took), true, nil
	}
	return fmt.Sprintf("BROKEN at seq %d: %s: %s (%s events verified before it)",
		rep.Break.Seq, rep.Break.Kind, event.Safe(rep.Break.Detail), formatCount(int(rep.Events))), false, nil
}

func (d *verifyDialog) View(width int) string {
	st := d.c.styles
	if d.job == nil {
		return d.list.view(st, width, 0)
	}
	var b strings.Builder
	outcome, ok, err := d.job.result()
	switch {
	case d.running():
		b.WriteString("Verifying…\n")
	case err != nil:
		b.WriteString(st.Error.Render(event.Safe(err.Error())) + "\n")
	case ok:
		b.WriteString(st.OK.Render("✓ ") + wrapText(outcome, width-2) + "\n")
	default:
		b.WriteString(st.Error.Render("✗ "+wrapText(outcome, width-2)) + "\n")
	}
	frac := d.job.fraction()
	if frac < 0 {
		frac = 0
	}
	d.bar.Width = width - 16
	b.WriteString(d.bar.ViewAs(frac) + " " + formatCount(int(d.job.done.Load())))
	if t := d.job.total.Load(); t > 0 {
		b.WriteString("/" + formatCount(int(t)))
	}
	return b.String()
}

// wrapText wraps plain text at width, between words where it can.
func wrapText(s string, width int) string {
	return ansi.Wrap(s, width, "")
}
